// Attestation of isolation layers: the report (from a real test sandbox), the per-layer probes
// that explain it, and the per-sandbox fail-closed guard.
export { attestIsolation, assertRequiredLayers } from './report.js';
export type { AttestationReport, LayerDiagnosis, LayerProbe, LayerProbes, LayerReport } from './report.js';
export { layerProbes } from './probes.js';
export { requireLayers } from './require-layers.js';
