import { describe, expect, it } from 'vitest';
import { ConfigError, SystemError, TransientError, BatchTooLargeError, ChannelNotFoundError } from '../../src/errors.js';
import { errorFromResponse, parseErrorBody } from '../../src/stream-api/error-response.js';

function body(code: number, message: string, status: number): string {
  return JSON.stringify({ code, message, StatusCode: status, duration: '0.00ms', more_info: 'https://getstream.io/chat/docs/api_errors_response' });
}

describe('parseErrorBody', () => {
  it('reads Stream error fields', () => {
    expect(parseErrorBody(body(4, 'bad', 400))).toMatchObject({ code: 4, message: 'bad', StatusCode: 400 });
  });

  it('is undefined for plain text and HTML', () => {
    expect(parseErrorBody('Too Many Requests')).toBeUndefined();
    expect(parseErrorBody('<html><body>502 Bad Gateway</body></html>')).toBeUndefined();
    expect(parseErrorBody('')).toBeUndefined();
  });

  it('is undefined for JSON that is not an error object', () => {
    expect(parseErrorBody('[1,2]')).toBeUndefined();
    expect(parseErrorBody('{"code":"x"}')).toBeUndefined();
  });
});

describe('errorFromResponse', () => {
  const signature = 'JWTAuth error: signature is not valid. Make sure the token is created using the secret for API key "k"';

  it('makes a bad signature (code 43) a ConfigError that says to check api_secret and quotes Stream', () => {
    const error = errorFromResponse({ endpoint: 'GetTask', status: 401, bodyText: body(43, signature, 401) });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('api_secret');
    expect(error.message).not.toMatch(/check api_key/);
    expect(error.message).toContain(signature);
    expect(error.context).toMatchObject({ endpoint: 'GetTask', status: 401, code: 43 });
  });

  it('makes an unknown api_key (code 2) a ConfigError that says to check api_key', () => {
    const error = errorFromResponse({ endpoint: 'QueryChannels', status: 401, bodyText: body(2, 'api_key not valid', 401) });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('check api_key');
    expect(error.message).toContain('api_key not valid');
  });

  it.each([5, 17, 40, 41, 42])('makes code %i a ConfigError', (code) => {
    expect(errorFromResponse({ endpoint: 'ExportChannels', status: 400, bodyText: body(code, 'no', 400) })).toBeInstanceOf(ConfigError);
  });

  it('makes a 403 without a JSON body a ConfigError', () => {
    const error = errorFromResponse({ endpoint: 'ExportChannels', status: 403, bodyText: 'Forbidden' });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('"Forbidden"');
  });

  it('makes a 400 input error a SystemError carrying Stream message', () => {
    const error = errorFromResponse({
      endpoint: 'ExportChannels',
      status: 400,
      bodyText: body(4, 'ExportChannels failed with error: "channels is required"', 400),
    });
    expect(error).toBeInstanceOf(SystemError);
    expect(error.message).toContain('channels is required');
    expect(error.context.code).toBe(4);
  });

  it('makes "Can\'t find channel" a ConfigError naming the missing channel', () => {
    const error = errorFromResponse({
      endpoint: 'ExportChannels',
      status: 400,
      bodyText: body(4, 'ExportChannels failed with error: "Can\'t find channel messaging:ghost"', 400),
      context: { cids: ['messaging:real', 'messaging:ghost'] },
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/channel messaging:ghost:/);
    expect(error.message).toContain('channel_ids');
    expect(error).toBeInstanceOf(ChannelNotFoundError);
  });

  it('makes a refusal for the number of channels a BatchTooLargeError, whatever the wording', () => {
    for (const message of ['channels: at most 25 channels can be exported per request, got 100', 'too many channels in one request', 'max 25 channels']) {
      const error = errorFromResponse({ endpoint: 'ExportChannels', status: 400, bodyText: body(4, message, 400) });
      expect(error, message).toBeInstanceOf(BatchTooLargeError);
    }
    expect(
      errorFromResponse({ endpoint: 'ExportChannels', status: 400, bodyText: body(4, 'channels[0].messages_since must be a date', 400) }),
    ).not.toBeInstanceOf(BatchTooLargeError);
  });

  it('names every requested channel when the message names none of them', () => {
    const error = errorFromResponse({
      endpoint: 'ExportChannels',
      status: 404,
      bodyText: body(16, "Can't find channel", 404),
      context: { cids: ['messaging:a', 'team:b'] },
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('messaging:a, team:b');
  });

  it('makes a plain-text 429 a TransientError quoting the text', () => {
    const error = errorFromResponse({ endpoint: 'ExportChannels', status: 429, bodyText: 'Too Many Requests' });
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('Too Many Requests');
  });

  it.each([408, 500, 502, 503, 504])('makes HTTP %i a TransientError', (status) => {
    const error = errorFromResponse({ endpoint: 'GetTask', status, bodyText: '<html><h1>oops</h1></html>' });
    expect(error).toBeInstanceOf(TransientError);
    expect(error.context.status).toBe(status);
  });

  it('keeps the caller context', () => {
    const error = errorFromResponse({ endpoint: 'GetTask', status: 500, bodyText: '', context: { taskId: 't1' } });
    expect(error.context).toMatchObject({ taskId: 't1', endpoint: 'GetTask', status: 500 });
    expect(error.message).toContain('an empty body');
  });
});
