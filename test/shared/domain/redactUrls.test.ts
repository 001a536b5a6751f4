import { redactUrls } from '../../../shared/domain/redactUrls';

describe('redactUrls', () => {
  it.each([
    ['a durable webhook URL', 'GET https://app.azurewebsites.net/runtime/webhooks/durabletask/instances/x?code=abc123 failed', 'GET <url> failed'],
    ['a key parameter outside a URL', 'request taskHub=h&code=abc123&x=1', 'request taskHub=h&code=<redacted>&x=1'],
    ['a SAS signature', 'sv=2024&sig=ZmFrZQ%3D%3D', 'sv=2024&sig=<redacted>'],
    ['text without either', 'connect ECONNREFUSED 127.0.0.1:17071', 'connect ECONNREFUSED 127.0.0.1:17071'],
  ])('redacts %s', (_case, text, expected) => {
    expect(redactUrls(text)).toBe(expected);
  });
});
