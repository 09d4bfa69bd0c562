import { z } from 'zod';
import { RFC3339 } from '../utils/timestamps.js';

// Every field but a primary key may be absent or null: Stream omits empty optional fields and
// sends a few as explicit nulls, and a sync must not fail over either.

export const timestamp = () => z.string().regex(RFC3339).meta({ format: 'date-time', airbyte_type: 'timestamp_with_timezone' }).nullish();

export const text = () => z.string().nullish();

export const integer = () => z.int().nullish();

export const decimal = () => z.number().nullish();

export const flag = () => z.boolean().nullish();

export const texts = () => z.array(z.string()).nullish();

/** An object whose inner shape Stream does not pin down (channel config, poll, moderation…). */
export const anyObject = () => z.looseObject({}).nullish();

export const anyObjects = () => z.array(z.looseObject({})).nullish();

export const anyValues = () => z.array(z.unknown()).nullish();

/** Per-reaction-type totals such as `reaction_counts: {"like": 3}`. */
export const countsByType = () => z.record(z.string(), z.int()).nullish();
