/**
 * Text from outside the project (an SDK's error, an HTTP body) may quote a URL holding a key: a
 * durable system key (`code=`), a SAS signature (`sig=`). Before such text reaches a log line or
 * an error message, URLs and key parameters are replaced.
 */
export function redactUrls(text: string): string {
  return text.replace(/https?:\/\/\S+/gi, '<url>').replace(/\b(code|sig|key|token)=[^&\s"']+/gi, '$1=<redacted>');
}
