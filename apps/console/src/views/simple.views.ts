import { translator } from '../i18n/messages';
import { esc, page, PageContext, postForm } from './layout';

export interface SignInModel {
  oidc: boolean;
  devKeys: boolean;
  /** Catalogue key of a message above the forms (why the last session ended, a refused key…). */
  message?: {
    kind: 'notice' | 'alert';
    key: Parameters<ReturnType<typeof translator>>[0];
    params?: Record<string, string | number>;
  };
}

export function renderSignIn(ctx: PageContext, model: SignInModel): string {
  const t = translator(ctx.lang);
  const message = model.message
    ? `<p class="${model.message.kind}" role="${model.message.kind === 'alert' ? 'alert' : 'status'}">${esc(t(model.message.key, model.message.params))}</p>`
    : '';
  const oidc = model.oidc ? `<p><a href="/login/oidc" id="oidc-sign-in">${esc(t('login.oidc'))}</a></p>` : '';
  const dev = model.devKeys
    ? `<section aria-labelledby="dev-heading"><h2 id="dev-heading">${esc(t('login.devHeading'))}</h2><p>${esc(t('login.devNote'))}</p>` +
      postForm(
        ctx,
        '/login',
        `<label for="key">${esc(t('login.key'))}</label><input type="password" id="key" name="key" autocomplete="off" required>` +
          `<br><button type="submit">${esc(t('login.submit'))}</button>`,
      ) +
      `</section>`
    : '';
  const none = !model.oidc && !model.devKeys ? `<p class="alert">${esc(t('login.noMethod'))}</p>` : '';
  return page(ctx, 'login.title', `${message}<p>${esc(t('login.intro'))}</p>${oidc}${dev}${none}`);
}

export type ErrorKind = 'forbidden-role' | 'forbidden-action' | 'csrf' | 'not-found' | 'error' | 'unreachable';

export function renderError(ctx: PageContext, kind: ErrorKind, ref = ''): string {
  const t = translator(ctx.lang);
  switch (kind) {
    case 'forbidden-role':
      return page(
        ctx,
        'forbidden.title',
        `<p class="alert">${esc(t('forbidden.role'))}</p><p><a href="/login">${esc(t('login.title'))}</a></p>`,
      );
    case 'forbidden-action':
      return page(ctx, 'forbidden.title', `<p class="alert">${esc(t('forbidden.action'))}</p>`);
    case 'csrf':
      return page(ctx, 'forbidden.title', `<p class="alert">${esc(t('forbidden.csrf'))}</p>`);
    case 'not-found':
      return page(ctx, 'notFound.title', `<p>${esc(t('notFound.text'))}</p>`);
    case 'unreachable':
      return page(ctx, 'error.title', `<p class="alert">${esc(t('error.unreachable'))}</p>`);
    case 'error':
      return page(ctx, 'error.title', `<p class="alert">${esc(t('error.text', { ref }))}</p>`);
    default:
      throw new Error(`unknown error page ${String(kind satisfies never)}`);
  }
}
