import { z } from 'zod';

/** Field schemas the activities' inputs share. */
export const pairIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a pair id');
export const hostRoleSchema = z.enum(['primary', 'secondary']);
export const isoTimeSchema = z.string().datetime({ offset: true, message: 'must be an ISO 8601 time' });
