// Group claims of the dev provider's accounts (its "groups" scope), shared with the tests.
import crypto from 'node:crypto';

// 40 characters each, hard to compress (hex of a hash), like directory group ids.
export const CROWD_GROUPS = Array.from({ length: 500 }, (_, i) =>
  `g${String(i).padStart(3, '0')}-${crypto.createHash('sha256').update(`group ${i}`).digest('hex').slice(0, 35)}`);

export const GROUP_CLAIMS = {
  'alice@example.com': { groups: ['staff', 'admins'], department: 'engineering', preferred_username: 'alice' },
  'bob@example.org': { groups: ['staff'], department: 'sales', preferred_username: 'bob' },
  'crowd@example.com': { groups: CROWD_GROUPS, department: 'engineering', preferred_username: 'crowd' },
};
