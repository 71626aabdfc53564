// An MV3 extension built with Vite + @crxjs/vite-plugin, as the plugin documents; nothing
// crmwire-specific (Vite copies the .wasm the browser entry references).
import { defineConfig } from 'vite';
import { crx } from '@crxjs/vite-plugin';
import manifest from './manifest.json' with { type: 'json' };

export default defineConfig({ plugins: [crx({ manifest })], build: { outDir: 'dist', emptyOutDir: true } });
