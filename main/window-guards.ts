/**
 * The window's page may never become another page: navigation, redirects and frame navigation to
 * anything but the app's own page are cancelled, <webview> tags are refused, and new windows are
 * denied. Takes the few WebContents methods it uses, so it is tested without Electron.
 */
export interface Preventable {
  preventDefault(): void;
}

/** The part of Electron's WebContents these guards attach to. */
export interface GuardedContents {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: Preventable, url: string) => void): unknown;
  on(event: 'will-frame-navigate', listener: (event: Preventable & { url: string }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export function guardWindow(contents: GuardedContents, isAppPage: (url: string) => boolean): void {
  const stayHome = (event: Preventable, url: string): void => {
    if (!isAppPage(url)) event.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-frame-navigate', (event) => stayHome(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
