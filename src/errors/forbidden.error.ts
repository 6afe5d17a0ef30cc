import { SnowlineError } from './snowline.error';

/**
 * The caller holds the permission for the operation but may not do it to this thing: the author of
 * a change approving it themselves, say. Unlike a missing permission, the reason is specific.
 */
export class ForbiddenError extends SnowlineError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
  }
}
