// Plays the person in a device flow against the dev provider (tests, local demos): opens the
// verification link, confirms the code, signs in as `login` and consents, following the provider's
// own forms as a browser would (cookies, redirects, hidden fields).

/** Completes the device flow behind `verificationUriComplete` as `login`. */
export async function approveDeviceCode(verificationUriComplete: string, login: string): Promise<void> {
  const jar = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return { res, html: await res.text(), url };
  };
  let page = await go(verificationUriComplete);
  for (let step = 0; step < 12; step++) {
    const { res, html, url } = page;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      page = await go(new URL(location, url).href);
      continue;
    }
    if (res.status >= 400) throw new Error(`the provider answered ${res.status} at ${url}: ${html.slice(0, 300)}`);
    const form = /<form([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
    if (!form || !/method="post"/i.test(form[1])) {
      if (/success/i.test(html)) return;
      throw new Error(`the device flow stopped at ${url} without a form: ${html.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
    const action = /action="([^"]*)"/.exec(form[1])?.[1] ?? url;
    const fields = new URLSearchParams();
    for (const input of form[2].matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      if (!name) continue;
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      fields.set(name, name === 'login' ? login : name === 'password' ? 'any' : value);
    }
    for (const button of form[2].matchAll(/<button[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g)) if (!fields.has(button[1])) fields.set(button[1], button[2]);
    page = await go(new URL(action.replace(/&amp;/g, '&'), url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields,
    });
  }
  throw new Error('the device flow did not finish in 12 steps');
}
