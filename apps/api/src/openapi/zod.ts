import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds `.openapi()` to zod's schemas; every schema module imports `z` from here so it runs first.
extendZodWithOpenApi(z);

export { z };
