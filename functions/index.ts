/**
 * Every entry point in one module, for running them all from one process (tests, `FUNCTION_SOURCE` at
 * the repository). Google Cloud deploys each from its own bundle instead (scripts/build.mjs), so that a
 * function's cold start loads only its own code.
 */
import './on_data_uploaded';
import './on_training_requested';
import './on_run_slot_freed';
import './on_training_completed';
import './on_monitoring_tick';
import './on_drift_detected';
import './on_model_promoted';
import './on_table_changed';
import './score';
import './dashboard';
