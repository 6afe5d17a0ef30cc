import { z } from 'zod';
import { grantedPermissions, PERMISSIONS } from '../security/roles';
import type { RouteDefinition } from './route';

/** Who the caller is: the console offers only what these permissions allow (the API still checks each call). */
export function sessionRoutes(): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/session',
      permission: 'runs:read',
      summary: 'The caller: subject, roles, and the permissions they grant',
      response: z.object({
        subject: z.string(),
        roles: z.array(z.string()),
        permissions: z.array(z.enum(PERMISSIONS)),
      }),
      handle: async (req) => ({
        subject: req.identity!.subject,
        roles: [...req.identity!.roles],
        permissions: grantedPermissions(req.identity!.roles),
      }),
    },
  ];
}
