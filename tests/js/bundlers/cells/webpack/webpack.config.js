// webpack 5, production mode, ESM output; nothing crmwire-specific.
import path from 'node:path';

export default {
  mode: 'production',
  entry: './main.js',
  experiments: { outputModule: true },
  output: { path: path.resolve(import.meta.dirname, 'dist'), filename: 'main.js', module: true, clean: true },
};
