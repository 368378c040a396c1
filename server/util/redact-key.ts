/**
 * Removes an API key from text shown in errors and logs: the key itself, and anything shaped like a
 * key that a server may echo back partly masked (OpenAI's 401 quotes `sk-…abcd`).
 * @param apiKey the key to hide; absent = only key-shaped strings go
 * @returns a function mapping text to text with each of them replaced by `[key]`
 */
export function keyRedactor(apiKey: string | undefined): (text: string) => string {
  return (text) => {
    const out = apiKey ? text.split(apiKey).join('[key]') : text;
    return out.replace(/\b(?:sk|key|api[_-]?key)[-_][\w*.-]{4,}/gi, '[key]');
  };
}
