/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build goes where pkg/dashboard embeds it (go:embed all:assets); see ui/README.md.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../pkg/dashboard/assets/dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
