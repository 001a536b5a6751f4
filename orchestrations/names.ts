/**
 * Names of orchestrations and activities, in one place: call sites use these constants, never
 * string literals, so a rename cannot leave a caller behind.
 */
export const ORCHESTRATIONS = {} as const;
export const ACTIVITIES = {} as const;
