// Hand-built Stream payloads in the shapes of the export notes (§5.2, §6): flattened custom fields,
// explicit nulls where Stream sends them, Go-style RFC3339 timestamps with varying precision.

export function sampleUser(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    role: 'user',
    created_at: '2024-11-02T09:15:21.614052Z',
    updated_at: '2025-01-23T13:05:03.06666Z',
    last_active: '2025-01-23T13:06:58.365621247Z',
    last_engaged_at: '2025-01-23T00:00:00Z',
    banned: false,
    online: false,
    shadow_banned: false,
    blocked_user_ids: [],
    teams: [],
    language: '',
    name: `Name of ${id}`,
    image: `https://example.test/avatars/${id}.png`,
    birthland: 'Tatooine',
    ...extra,
  };
}

export function sampleChannel(type: string, id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type,
    cid: `${type}:${id}`,
    created_at: '2024-12-01T10:00:00.123456Z',
    updated_at: '2025-01-20T08:30:00.5Z',
    last_message_at: '2025-01-23T13:05:35.310709Z',
    created_by: sampleUser('owner-1'),
    frozen: false,
    disabled: false,
    member_count: 2,
    config: {
      name: type,
      typing_events: true,
      read_events: true,
      reactions: true,
      replies: true,
      max_message_length: 5000,
      automod: 'disabled',
      commands: [{ name: 'giphy', description: 'Post a random gif to the channel', args: '[text]', set: 'fun_set' }],
    },
    name: `Channel ${id}`,
    topic: 'custom field',
    ...extra,
  };
}

export function sampleMember(userId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: userId,
    user: sampleUser(userId),
    status: 'member',
    created_at: '2024-12-01T10:00:00.123456Z',
    updated_at: '2024-12-01T10:00:00.123456Z',
    banned: false,
    shadow_banned: false,
    archived_at: null,
    pinned_at: null,
    role: 'member',
    channel_role: 'channel_member',
    notifications_muted: false,
    ...extra,
  };
}

export function sampleReaction(messageId: string, userId: string, type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message_id: messageId,
    user_id: userId,
    user: sampleUser(userId),
    type,
    score: 1,
    created_at: '2025-01-23T13:07:00.1Z',
    updated_at: '2025-01-23T13:07:00.1Z',
    ...extra,
  };
}

export function sampleMessage(cid: string | undefined, id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    ...(cid === undefined ? {} : { cid }),
    text: `Hi <${id}>`,
    html: `\u003cp\u003eHi \u0026lt;${id}\u0026gt;\u003c/p\u003e\n`,
    type: 'regular',
    user: sampleUser('author-1'),
    attachments: [{ type: 'image', image_url: 'https://example.test/cat.png', fallback: 'cat.png' }],
    latest_reactions: [sampleReaction(id, 'fan-1', 'like'), sampleReaction(id, 'fan-2', 'love', { score: 3 })],
    own_reactions: [],
    reaction_counts: { like: 1, love: 1 },
    reaction_scores: { like: 1, love: 3 },
    reaction_groups: null,
    reply_count: 0,
    deleted_reply_count: 0,
    created_at: '2025-01-23T13:05:35.310709Z',
    updated_at: '2025-01-23T13:05:35.310709Z',
    shadowed: false,
    mentioned_users: [sampleUser('mentioned-1')],
    silent: false,
    pinned: false,
    pinned_at: null,
    pinned_by: null,
    pin_expires: null,
    mood: 'cheerful',
    ...extra,
  };
}
