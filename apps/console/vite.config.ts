import { defineConfig } from 'vite';

// Served by the API under /console (apps/api/src/http/console-static.ts).
export default defineConfig({
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
});
