// Package metrics turns anomaly scores into the numbers a user reads: AUROC,
// average precision (AUPRC), ROC points, F1 at a threshold, quantiles,
// and the calibration stored in a model file.
//
// Conventions shared by every function:
//
//   - A higher score means more anomalous; an image is called anomalous when
//     its score is strictly above the threshold (see [IsAnomalous]).
//   - The positive class is "anomalous" (anomalous[i] == true).
//   - NaN scores rank above every other score, +Inf included, and tie with
//     each other: a NaN score is the most anomalous verdict there is. A model
//     that produces NaN is broken, and this rule makes it show up as false
//     positives instead of silently vanishing from the numbers.
//   - Ties get half credit: AUROC is the Mann-Whitney probability that a
//     random anomaly scores above a random normal, counting ties as 1/2.
//   - Undefined results (no anomalies, no normals, or len(scores) !=
//     len(anomalous)) are NaN for the float-valued metrics and nil for the
//     functions that return slices or structs, so nothing is ever guessed.
package metrics
