import { z } from 'zod';
import { databaseFields } from './common.js';

/** The migration command and the test helpers need only the database. */
export const databaseSchema = z.object({ ...databaseFields });

export type DatabaseConfig = z.output<typeof databaseSchema>;
