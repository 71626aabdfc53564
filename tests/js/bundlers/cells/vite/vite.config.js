// Vite's defaults; only the output folder is named. Nothing crmwire-specific.
export default { build: { outDir: 'dist', emptyOutDir: true } };
