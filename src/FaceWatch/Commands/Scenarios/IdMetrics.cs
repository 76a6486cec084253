using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

using FaceWatch.Pipeline.Capture;
namespace FaceWatch.Commands.Scenarios;

/// <summary>A box with the identity it belongs to: a ground-truth id or a predicted track id.</summary>
public readonly record struct IdBox(long Id, Rect2f Box);

/// <summary>One evaluated frame: the ground-truth boxes and the predicted (tracked) boxes in it.</summary>
public sealed record IdFrame(int Frame, IReadOnlyList<IdBox> Truth, IReadOnlyList<IdBox> Predicted);

/// <summary>
/// MOT identity measures. <see cref="IdSwitches"/> (CLEAR MOT): how often a ground-truth identity is matched to another
/// track than the last time it was matched. IDF1 (Ristani et al. 2016): ground-truth and predicted identities are
/// paired one-to-one for the whole sequence so that they agree in the most frames (IoU &gt;= 0.5); IDTP counts the
/// frames a pair agrees, IDFP the other predicted boxes, IDFN the other ground-truth boxes.
/// </summary>
public sealed record IdMetricsResult(int TruthBoxes, int PredictedBoxes, int Matches, int IdSwitches, int IdTp, int IdFp, int IdFn)
{
    public double Idf1 => IdTp + IdFp + IdFn == 0 ? 1 : 2.0 * IdTp / ((2.0 * IdTp) + IdFp + IdFn);
}

/// <summary>Computes <see cref="IdMetricsResult"/>; pure, no I/O.</summary>
public static class IdMetrics
{
    public const double IouThreshold = 0.5;

    public static IdMetricsResult Compute(IEnumerable<IdFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var pairs = new Dictionary<(long Truth, long Predicted), int>();
        var lastMatch = new Dictionary<long, long>();
        int truthBoxes = 0, predictedBoxes = 0, matches = 0, switches = 0;
        foreach (var frame in frames)
        {
            truthBoxes += frame.Truth.Count;
            predictedBoxes += frame.Predicted.Count;
            foreach (var (t, p) in Match(frame.Truth, frame.Predicted))
            {
                matches++;
                if (lastMatch.TryGetValue(t.Id, out var previous) && previous != p.Id)
                {
                    switches++;
                }

                lastMatch[t.Id] = p.Id;
            }

            // IDF1 counts every overlapping pair of the frame, not only the frame's own assignment.
            foreach (var t in frame.Truth)
            {
                foreach (var p in frame.Predicted)
                {
                    if (FaceTracker.Iou(t.Box, p.Box) >= IouThreshold)
                    {
                        pairs[(t.Id, p.Id)] = pairs.GetValueOrDefault((t.Id, p.Id)) + 1;
                    }
                }
            }
        }

        var truthIds = pairs.Keys.Select(k => k.Truth).Distinct().ToArray();
        var predictedIds = pairs.Keys.Select(k => k.Predicted).Distinct().ToArray();
        var gain = new int[truthIds.Length, predictedIds.Length];
        for (var i = 0; i < truthIds.Length; i++)
        {
            for (var j = 0; j < predictedIds.Length; j++)
            {
                gain[i, j] = pairs.GetValueOrDefault((truthIds[i], predictedIds[j]));
            }
        }

        var idtp = MaxAssignment(gain);
        return new IdMetricsResult(truthBoxes, predictedBoxes, matches, switches, idtp, predictedBoxes - idtp, truthBoxes - idtp);
    }

    /// <summary>One frame's one-to-one matching, highest IoU first, pairs below <see cref="IouThreshold"/> left out.</summary>
    public static IReadOnlyList<(IdBox Truth, IdBox Predicted)> Match(IReadOnlyList<IdBox> truth, IReadOnlyList<IdBox> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        var candidates = new List<(double Iou, int T, int P)>();
        for (var i = 0; i < truth.Count; i++)
        {
            for (var j = 0; j < predicted.Count; j++)
            {
                var iou = FaceTracker.Iou(truth[i].Box, predicted[j].Box);
                if (iou >= IouThreshold)
                {
                    candidates.Add((iou, i, j));
                }
            }
        }

        var usedT = new bool[truth.Count];
        var usedP = new bool[predicted.Count];
        var result = new List<(IdBox, IdBox)>();
        foreach (var (_, i, j) in candidates.OrderByDescending(c => c.Iou))
        {
            if (!usedT[i] && !usedP[j])
            {
                usedT[i] = usedP[j] = true;
                result.Add((truth[i], predicted[j]));
            }
        }

        return result;
    }


    /// <summary>The largest total gain of a one-to-one assignment (Hungarian method on the negated, squared-up matrix).</summary>
    internal static int MaxAssignment(int[,] gain)
    {
        var rows = gain.GetLength(0);
        var cols = gain.GetLength(1);
        var n = Math.Max(rows, cols);
        if (n == 0)
        {
            return 0;
        }

        // cost[i][j] = -gain, 1-based arrays as in the classic O(n^3) formulation.
        var u = new long[n + 1];
        var v = new long[n + 1];
        var p = new int[n + 1];
        var way = new int[n + 1];
        long Cost(int i, int j) => i <= rows && j <= cols ? -gain[i - 1, j - 1] : 0;
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            var minv = Enumerable.Repeat(long.MaxValue, n + 1).ToArray();
            var used = new bool[n + 1];
            do
            {
                used[j0] = true;
                var i0 = p[j0];
                var delta = long.MaxValue;
                var j1 = 0;
                for (var j = 1; j <= n; j++)
                {
                    if (used[j])
                    {
                        continue;
                    }

                    var cur = Cost(i0, j) - u[i0] - v[j];
                    if (cur < minv[j])
                    {
                        minv[j] = cur;
                        way[j] = j0;
                    }

                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }

                for (var j = 0; j <= n; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }

                j0 = j1;
            }
            while (p[j0] != 0);

            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }

        var total = 0;
        for (var j = 1; j <= n; j++)
        {
            if (p[j] >= 1 && p[j] <= rows && j <= cols)
            {
                total += gain[p[j] - 1, j - 1];
            }
        }

        return total;
    }
}
