// The workflow bundle's entry point: every workflow type the worker serves.
export { migrationWorkflow } from './migration';
export { loadObjectWorkflow } from './load-object';
export { rollbackWorkflow } from './rollback';
export { deltaWorkflow } from './delta';
export { preflightWorkflow } from './preflight';
