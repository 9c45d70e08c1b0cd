// Master key rotation at start (AIRLOCK_SECRET_KEY_PREVIOUS set): everything sealed with a
// previous key, tenant secrets and webhook tokens alike, is sealed again with the current key,
// and the log says whether the previous keys can now be removed (nothing left that only they open).
import type { Logger } from '../core/logger.js';
import type { WebhookTokens } from './hooks/tokens.js';
import type { SecretService } from './secrets/service.js';

export async function resealWithCurrentKey(secrets: SecretService, tokens: WebhookTokens, logger: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  const rotatedSecrets = await secrets.rotate();
  const rotatedTokens = await tokens.reseal();
  const resealed = { secrets: rotatedSecrets.resealed, webhookTokens: rotatedTokens.resealed };
  if (rotatedSecrets.unreadable.length === 0 && rotatedTokens.unreadable.length === 0) {
    logger.info({ resealed }, 'secrets and webhook tokens re-sealed with the current key; AIRLOCK_SECRET_KEY_PREVIOUS can be removed');
    return;
  }
  logger.info({ resealed }, 'secrets and webhook tokens re-sealed with the current key where a configured key opens them');
  if (rotatedSecrets.unreadable.length > 0) {
    logger.warn({ secrets: rotatedSecrets.unreadable }, 'no configured key opens these secrets; set them again');
  }
  if (rotatedTokens.unreadable.length > 0) {
    logger.warn(
      { webhooks: rotatedTokens.unreadable },
      'no configured key opens these webhook tokens: deliveries still work, but their URLs cannot be shown; add the key they were ' +
        'sealed with to AIRLOCK_SECRET_KEY_PREVIOUS and restart (the URLs stay the same), or rotate them to get new URLs',
    );
  }
}
