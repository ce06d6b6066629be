/**
 * report: everything that turns results into something to look at. Pure HTML builders (views,
 * charts, tables) that can be tested without a kernel, the `show` helpers that display them in a
 * notebook, and self-contained HTML export.
 */
// Loading the layer puts the display protocol's methods (rich.ts) and `report` (run-report.ts) on
// the data, engine and optimize classes; every other layer reaches the report layer through here.
import "./rich.js";
import "./run-report.js";
import "./checklist.js";
export * as show from "./show.js";
export { displayHtml, newDisplaySlot, inNotebook, setFallbackWriter, htmlToText, type DisplaySlot } from "./display.js";
export { plotSvg, plotMarks, plotlyHtml, plotlyLibrary, plotlyLibraryScript, type PlotOptions, type PlotlyHtmlOptions } from "./charts.js";
export type { TableOptions, ColumnLike, CellValue } from "./html.js";
export { l3LevelHtml, l3LadderHtml, showL3Level, showL3Ladder, type L3ViewOptions } from "./views/l3.js";
export { qualityReportHtml, ticksHtml, showQualityReport, showTicks, type TicksViewOptions } from "./views/data.js";
export { runPsr, backtestHtml, backtestSummaryHtml, fillsChartHtml, inventoryChartHtml, pnlChartHtml, fillsTableHtml, showBacktest, showFills, showInventory, showPnl, type BacktestViewOptions } from "./views/engine.js";
export { depthLadderHtml, depthChartHtml, micropriceChartHtml, imbalanceChartHtml, bookAtTimeHtml, bookVerifyHtml, showDepthLadder, showDepthChart, showMicroprice, showImbalance, showBookAt, showBookVerify, type BookViewOptions, type FeatureColumns } from "./views/book.js";
export { optimizationHtml, optimizeHeatmapHtml, optimizeParallelHtml, optimizeParallelSpec, optimizeScatterHtml, bestTrialHtml, walkForwardHtml, showOptimization, type OptimizeViewOptions } from "./views/optimize.js";
export { tearSheet, tearSheetSummaryHtml, verdictOf, gridReturns, samplingIntervalNs, rollingSharpe, type TearSheet, type TearSheetInput, type TearSheetHtmlOptions, type Verdict, type VerdictLevel } from "./tearsheet.js";
export { reportRun, reportSweep, rememberSweep, runSheetInput, jsonSheetInput, sweepTrials, chosenRun, CHOSEN_RUN, type RunReportOptions, type BacktestJsonLike } from "./run-report.js";
export { runChecklist, sweepChecklist, checklistBrief, parameterSensitivity, runChanges, checklistHtml, rememberSweepContext, CHECKLIST_THRESHOLDS, SWEEP_CONTEXT, type Checklist, type ChecklistItem, type ChecklistItemId, type ChecklistJson, type ChecklistOptions, type CheckStatus, type ComplexityScore, type ParameterSensitivity, type SweepContext } from "./checklist.js";
export { exportHtml, htmlDocument, externalReferences, type Exportable, type ExportResult } from "./export.js";
export { metricsHtml, sharpeInferenceHtml, tradesHtml, pboHtml, showMetrics, showSharpeInference, showTrades, showPbo } from "./views/stats.js";
export { tearSheet as showTearSheet } from "./show.js";
export * from "./format.js";
export { sessionSpanNs, annualizationOf, spanText, type Annualization } from "../core/index.js";
export { withAxisDefaults } from "./charts.js";
export { metricText } from "./views/stats.js";
export { DISPLAY, richDisplay, hasRichDisplay, tickBatchHtml, tickBatchText, type MimeBundle, type RichDisplayable, type TickBatchViewOptions } from "./rich.js";
