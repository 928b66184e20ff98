/** The PyTorch training engine: finding torch, job folders, running them, reading results back. */
export { trainTorch, runJob, jobResult, type TorchTrainOptions, type TorchTrainResult, type TorchRunInfo } from './engine.js';
export { writeJob, readJob, jobPath, JOB_JSON, RESULT_FILE, PROGRESS_FILE, RUNNER_DIR, type TorchJob, type TorchJobSettings } from './job.js';
export { findTorchPython, pythonCandidates, noTorchReason, type TorchProbe, type TorchPython } from './python.js';
export { chooseEngine, torchInfo, engineChoices, isDeviceSpec, type EngineChoice, type EngineDecision, type EngineName } from './choose.js';
