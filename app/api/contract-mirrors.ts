/**
 * The contract's mirrors of core types, checked by the compiler. contract.ts is also built for the
 * page, which cannot read the core files these types live in (they need Node), so the contract
 * declares its own copy; each line below fails `npm run typecheck` when a copy and its core type
 * drift apart. Types the page can read (Preprocessing, the statistics, Compare's report, training progress) the
 * contract imports instead.
 */
import type { SeBlockInfo } from '../model/summary.js';
import type { FoldDecision } from '../../pruning/se-fold.js';
import type { PruneSettings } from '../../pruning/pipeline.js';
import type { VerifyReport } from '../../export/types.js';
import type { ExportFormat, Quant } from '../../export/types.js';
import type { ModelFormat } from '../import/reader.js';
import type { ExportFormatDto, ModelFormatDto, PruneSettingsDto, SeBlockDto, SeDecisionDto, VerifyRowDto } from './contract.js';

/** true when A and B are the same type (each assignable to the other, no widening through any). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

export type ContractMirrors = [
  Check<Same<SeBlockDto, SeBlockInfo>>,
  Check<ModelFormat extends ModelFormatDto ? (ModelFormatDto extends ModelFormat ? true : false) : false>,
  /** A decision as the prune reports it: the core's, plus the accuracy its fold cost. */
  Check<Same<Omit<SeDecisionDto, 'accuracyChange'>, FoldDecision>>,
  /** A runtime's verification row: the core's report without the latency run details. */
  Check<Same<VerifyRowDto, Pick<VerifyReport, keyof VerifyRowDto>>>,
  Check<Same<PruneSettingsDto['residual'], PruneSettings['residual']>>,
  Check<Same<Pick<PruneSettingsDto, 'criterion' | 'roundTo' | 'minChannels' | 'ignore'>, Pick<PruneSettings, 'criterion' | 'roundTo' | 'minChannels' | 'ignore'>>>,
  Check<ExportFormat extends ExportFormatDto['format'] ? true : false>,
  Check<Quant extends ExportFormatDto['quant'][number] ? true : false>,
];
