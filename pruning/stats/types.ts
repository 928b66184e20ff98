/**
 * The excitation statistics' types, defined with the model (app/model/excitation-stats.ts)
 * because a project file stores them; re-exported here for the statistics code that fills them.
 */
export type { ExcitationStats, SeBlockStats } from '../../app/model/excitation-stats.js';
