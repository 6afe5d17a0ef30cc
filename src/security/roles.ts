/**
 * Least privilege by default: each role gets the permissions its job needs, no more.
 * Routes declare one permission each; `admin` holds them all.
 */
export const PERMISSIONS = [
  'runs:read',
  'runs:trigger',
  'runs:retry',
  'runs:cancel',
  'rules:read',
  'rules:write',
  'approvals:decide',
  'audit:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['viewer', 'operator', 'editor', 'approver', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: ['runs:read', 'rules:read'],
  operator: ['runs:read', 'rules:read', 'runs:trigger', 'runs:retry', 'runs:cancel'],
  editor: ['runs:read', 'rules:read', 'rules:write'],
  approver: ['runs:read', 'rules:read', 'approvals:decide'],
  auditor: ['runs:read', 'rules:read', 'audit:read'],
  admin: PERMISSIONS,
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function rolesGrant(roles: readonly string[], permission: Permission): boolean {
  return roles.some((role) => isRole(role) && ROLE_PERMISSIONS[role].includes(permission));
}

/** Every permission the roles grant together, in PERMISSIONS order. */
export function grantedPermissions(roles: readonly string[]): Permission[] {
  return PERMISSIONS.filter((permission) => rolesGrant(roles, permission));
}
