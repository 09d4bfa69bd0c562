import { ConfigError } from '../errors.js';

/** Which channels a sync covers: the config's three selection keys, normalised (sorted, unique). */
export interface Selection {
  channel_types: string[];
  channel_ids: string[];
  exclude_channel_ids: string[];
}

/** `type:id` → its parts; the id may itself contain colons. */
export function parseCid(cid: string): { type: string; id: string } {
  const colon = cid.indexOf(':');
  if (colon <= 0 || colon === cid.length - 1) throw new ConfigError(`"${cid}" is not a channel cid of the form type:id`);
  return { type: cid.slice(0, colon), id: cid.slice(colon + 1) };
}

export function selectionOf(config: Partial<Selection>): Selection {
  const sorted = (values: readonly string[] | undefined) => [...new Set(values ?? [])].sort();
  return {
    channel_types: sorted(config.channel_types),
    channel_ids: sorted(config.channel_ids),
    exclude_channel_ids: sorted(config.exclude_channel_ids),
  };
}

/** The key two selections share exactly when they are the same (both normalised by selectionOf). */
export function selectionKey(selection: Selection): string {
  return JSON.stringify([selection.channel_types, selection.channel_ids, selection.exclude_channel_ids]);
}

/** Whether `cid` belongs to the selection. */
export function covers(selection: Selection, cid: string): boolean {
  if (selection.exclude_channel_ids.includes(cid)) return false;
  if (selection.channel_ids.length > 0) return selection.channel_ids.includes(cid);
  return selection.channel_types.length === 0 || selection.channel_types.includes(cid.slice(0, cid.indexOf(':')));
}

/** The configured channels minus the excluded ones, or undefined when they are listed by type from Stream. */
export function explicitChannels(selection: Selection): string[] | undefined {
  if (selection.channel_ids.length === 0) return undefined;
  return selection.channel_ids.filter((cid) => !selection.exclude_channel_ids.includes(cid));
}

/**
 * What `now` selects that `before` did not, in a form query channels can list:
 * - `cids`: channels named one by one (ids added, exclusions lifted);
 * - `types`: whole types added;
 * - `everything`: the change cannot be narrowed with documented filters (from ids to types, or from
 *   some types to all, which would take a `$nin` query channels does not document): list the whole
 *   selection.
 */
export interface SelectionDelta {
  cids: string[];
  types: string[];
  everything: boolean;
}

export function selectionDelta(before: Selection, now: Selection): SelectionDelta {
  const explicit = explicitChannels(now);
  if (explicit) return { cids: explicit.filter((cid) => !covers(before, cid)), types: [], everything: false };
  if (before.channel_ids.length > 0) return { cids: [], types: [], everything: true };
  const unexcluded = before.exclude_channel_ids.filter((cid) => !now.exclude_channel_ids.includes(cid) && covers(now, cid));
  if (before.channel_types.length === 0) return { cids: unexcluded, types: [], everything: false };
  if (now.channel_types.length === 0) return { cids: [], types: [], everything: true };
  const types = now.channel_types.filter((type) => !before.channel_types.includes(type));
  return { cids: unexcluded.filter((cid) => !types.includes(parseCid(cid).type)), types, everything: false };
}
