using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
using FaceWatch.Core.Models;
namespace FaceWatch.Pipeline.Detection;

// Size: the three-net cascade with its pooled workspaces and batched R-Net/O-Net: the full-frame and the region paths share the candidate buffers, the batching and the sessions, so they stay one class.
/// <summary>
/// MTCNN (P-Net proposals on an image pyramid, R-Net refinement, O-Net output with five landmarks) on the
/// converted ONNX models. Thread-safe: ONNX Runtime sessions run concurrently, and each call takes its own
/// <see cref="MtcnnWorkspace"/> from a pool.
/// </summary>
public sealed class MtcnnDetector : IFaceDetector, IDisposable
{
    private static readonly string[] InputNames = [ModelFiles.InputName];
    private static readonly string[] TwoOutputs = ["prob", "bbox_reg"];
    private static readonly string[] ONetOutputs = ["prob", "bbox_reg", "landmarks"];

    /// <summary>
    /// R-Net and O-Net take all candidates of a frame in one call, up to this many: a noisy 4K frame at a small
    /// minimum face can propose thousands, and the input buffers should not grow without bound.
    /// </summary>
    internal const int MaxBatch = 128;

    // A tracked face's predicted box, shifted by 8% of its side each way and scaled by 0.9 and 1.12: a face that moved or
    // turned a little still has a candidate R-Net scores high (and regresses onto it).
    private static readonly (float Dx, float Dy, float Scale)[] RefindJitter =
        [(0, 0, 1), (-0.08f, 0, 1), (0.08f, 0, 1), (0, -0.08f, 1), (0, 0.08f, 1), (0, 0, 0.9f), (0, 0, 1.12f)];

    private readonly MtcnnOptions _options;
    private readonly InferenceSession _pnet;
    // Region shapes vary from frame to frame: no memory plan per shape (ONNX Runtime would keep one for every shape seen).
    private readonly InferenceSession _pnetRegions;
    private readonly InferenceSession _rnet;
    private readonly InferenceSession _onet;
    private readonly ConcurrentBag<MtcnnWorkspace> _workspaces = [];
    private readonly ConcurrentDictionary<(int Width, int Height), Lazy<InferenceSession>> _pnetByShape = new();
    private readonly InferenceSessionFactory _sessions;
    private readonly int? _threads;
    private readonly DetectionMetrics? _metrics;
    private bool _disposed;

    /// <param name="metrics">Where each call's duration and faces are recorded (the daemon's); none when null.</param>
    public MtcnnDetector(InferenceSessionFactory sessions, IOptions<MtcnnOptions> options, ILogger<MtcnnDetector>? logger = null, DetectionMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        MtcnnOptionsValidator.ThrowIfInvalid(_options);
        int? threads = _options.Threads > 0 ? _options.Threads : null;
        _sessions = sessions;
        _threads = threads;
        _metrics = metrics;
        try
        {
            _pnet = sessions.Create(sessions.FileOf(ModelFiles.PNet), threads);
            _pnetRegions = sessions.Create(sessions.FileOf(ModelFiles.PNet), threads, memoryPattern: false);
            _rnet = sessions.Create(sessions.FileOf(ModelFiles.RNet), threads);
            _onet = sessions.Create(sessions.FileOf(ModelFiles.ONet), threads);
        }
        catch
        {
            _pnet?.Dispose();
            _pnetRegions?.Dispose();
            _rnet?.Dispose();
            throw;
        }

        Log.DetectorReady(logger ?? NullLogger<MtcnnDetector>.Instance, sessions.ModelsDirectory, _options.Threads, _options.MinFaceSize);
    }

    public MtcnnOptions Options => _options;

    /// <inheritdoc />
    public IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize = null) => Detect(image, minFaceSize, null);

    /// <summary>Detects faces; <paramref name="timing"/> (optional) receives where the time went.</summary>
    /// <exception cref="ArgumentException">The image is empty or of a pixel format that cannot be converted to BGR.</exception>
    public IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize, IDetectionTimingSink? timing)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var minFace = minFaceSize ?? _options.MinFaceSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(minFace, PyramidPlan.Window, nameof(minFaceSize));
        ThrowIfEmpty(image);

        var start = Stopwatch.GetTimestamp();
        Mat? converted = null;
        if (!ImageConversion.IsBgr8(image))
        {
            converted = ImageConversion.ToBgr8(image);
        }

        var workspace = _workspaces.TryTake(out var w) ? w : new MtcnnWorkspace();
        try
        {
            var times = new StageClock();
            var source = converted ?? image;
            var scaleBack = 1f;
            if (Downscaler.LimitFor(new Size(source.Width, source.Height), maxLongSide: _options.MaxInputSide) is { } size)
            {
                scaleBack = Downscaler.Shrink(source, workspace.Downscaled, size);
                minFace = Math.Max(PyramidPlan.Window, (int)Math.Round(minFace / scaleBack));
                source = workspace.Downscaled;
            }

            times.Preprocess += Stopwatch.GetTimestamp() - start;
            var faces = Run(workspace, source, minFace, scaleBack, ref times);
            return Finish(faces, start, in times, timing);
        }
        finally
        {
            _workspaces.Add(workspace);
            converted?.Dispose();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<FaceDetection> DetectIn(Mat image, IReadOnlyList<DetectionRegion> regions, IReadOnlyList<Rect2f>? refind = null) =>
        DetectIn(image, regions, refind, null);

    /// <summary>
    /// Detects faces inside <paramref name="regions"/> only: P-Net runs on each region's own pyramid, then R-Net and O-Net
    /// take the candidates of all regions in one batch, cut from the whole frame (a face at a region's edge keeps its
    /// pixels). Each box of <paramref name="refind"/> (a tracked face's predicted box) joins them as a few candidates
    /// (itself, shifted and scaled a little) for R-Net to score and regress: no pyramid search. Boxes in image pixels.
    /// </summary>
    public IReadOnlyList<FaceDetection> DetectIn(Mat image, IReadOnlyList<DetectionRegion> regions, IReadOnlyList<Rect2f>? refind, IDetectionTimingSink? timing)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(regions);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfEmpty(image);

        var start = Stopwatch.GetTimestamp();
        using var converted = ImageConversion.IsBgr8(image) ? null : ImageConversion.ToBgr8(image);
        var source = converted ?? image;
        var workspace = _workspaces.TryTake(out var w) ? w : new MtcnnWorkspace();
        try
        {
            var times = new StageClock();
            var pooled = workspace.RegionBoxes;
            pooled.Clear();
            var bounds = new Rect(0, 0, source.Width, source.Height);
            workspace.ValidHalves = 0; // a new frame: its halves are made as regions and crops need them
            foreach (var region in regions)
            {
                var area = region.Area & bounds;
                var minFace = Math.Max(PyramidPlan.Window, region.MinFace);
                if (Math.Min(area.Width, area.Height) < minFace)
                {
                    continue;
                }

                workspace.Boxes.Clear();
#pragma warning disable CA2000 // false positive: disposed by the using declaration
                using var roi = new Mat(source, area);
#pragma warning restore CA2000
                // A region searched for big faces only is shrunk 8x or more for its first level: draw its pyramid from a
                // halved (pyrDown) frame shared by all regions and crops, still shrinking at least 2x with the area filter.
                var halvings = 0;
                while (halvings < 4 && (double)PyramidPlan.Window / minFace * (2 << halvings) <= 0.5)
                {
                    halvings++;
                }

                if (halvings == 0)
                {
                    ProposeWithPNet(workspace, roi, minFace, (_, _) => _pnetRegions, ref times);
                }
                else
                {
                    var t0 = Stopwatch.GetTimestamp();
                    var half = SourceFor(workspace, source, halvings);
                    var f = 1 << halvings;
                    var small = new Rect(area.X / f, area.Y / f, Math.Max(1, area.Width / f), Math.Max(1, area.Height / f)) & new Rect(0, 0, half.Width, half.Height);
                    using var smallRoi = new Mat(half, small);
                    times.Preprocess += Stopwatch.GetTimestamp() - t0;
                    ProposeWithPNet(workspace, roi, minFace, (_, _) => _pnetRegions, ref times, smallRoi);
                }

                foreach (var b in workspace.Boxes)
                {
                    pooled.Add(b with { X1 = b.X1 + area.X, X2 = b.X2 + area.X, Y1 = b.Y1 + area.Y, Y2 = b.Y2 + area.Y });
                }
            }

            foreach (var box in refind ?? [])
            {
                var side = Math.Max(box.Width, box.Height);
                var cx = box.X + (box.Width / 2);
                var cy = box.Y + (box.Height / 2);
                foreach (var (dx, dy, scale) in RefindJitter)
                {
                    var s = side * scale;
                    var x1 = cx + (dx * side) - (s / 2);
                    var y1 = cy + (dy * side) - (s / 2);
                    pooled.Add(new CandidateBox(x1, y1, x1 + s, y1 + s, 1f));
                }
            }

            workspace.Boxes.Clear();
            workspace.Boxes.AddRange(pooled);
            // Two regions can propose the same face.
            BoxMath.Nms(workspace.Boxes, 0.7f, NmsMode.Union);
            var faces = RefineAndOutput(workspace, source, 1f, ref times);
            return Finish(faces, start, in times, timing);
        }
        finally
        {
            _workspaces.Add(workspace);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_workspaces.TryTake(out var w))
        {
            w.Dispose();
        }

        _pnet.Dispose();
        foreach (var session in _pnetByShape.Values.Where(l => l.IsValueCreated))
        {
            session.Value.Dispose();
        }

        _pnetRegions.Dispose();
        _rnet.Dispose();
        _onet.Dispose();
    }

    private List<FaceDetection> Run(MtcnnWorkspace ws, Mat image, int minFace, float scaleBack, ref StageClock times)
    {
        var boxes = ws.Boxes;
        boxes.Clear();
        ws.ValidHalves = 0;
        if (Math.Min(image.Width, image.Height) < minFace)
        {
            return [];
        }

        ProposeWithPNet(ws, image, minFace, PNetFor, ref times);
        return RefineAndOutput(ws, image, scaleBack, ref times);
    }

    /// <summary>R-Net and O-Net on the P-Net candidates in <c>ws.Boxes</c>.</summary>
    private List<FaceDetection> RefineAndOutput(MtcnnWorkspace ws, Mat image, float scaleBack, ref StageClock times)
    {
        var boxes = ws.Boxes;
        times.PNetCandidates = boxes.Count;
        if (boxes.Count == 0)
        {
            return [];
        }

        RefineWithRNet(ws, image, ref times);
        times.RNetCandidates = boxes.Count;
        if (boxes.Count == 0)
        {
            return [];
        }

        return OutputWithONet(ws, image, scaleBack, ref times);
    }

    private static void ThrowIfEmpty(Mat image)
    {
        if (image.Empty() || image.Width <= 0 || image.Height <= 0)
        {
            throw new ArgumentException($"Cannot detect faces in an empty image ({image.Width}x{image.Height}).", nameof(image));
        }
    }

    /// <summary>Records one call's duration, faces and stage times (metrics and the optional sink), and returns its faces.</summary>
    private List<FaceDetection> Finish(List<FaceDetection> faces, long start, in StageClock times, IDetectionTimingSink? timing)
    {
        var total = Stopwatch.GetElapsedTime(start);
        _metrics?.Detected(total.TotalMilliseconds, faces.Count);
        timing?.Record(times.ToTimings(total, faces.Count));
        return faces;
    }

    /// <summary>The P-Net session planned for this canvas shape, made on first use while there is room; else the shape-agnostic one.</summary>
    private InferenceSession PNetFor(int width, int height)
    {
        if (_options.FixedShapeSessions == 0)
        {
            return _pnet;
        }

        if (_pnetByShape.TryGetValue((width, height), out var known))
        {
            return known.Value;
        }

        lock (_pnetByShape)
        {
            if (_disposed || _pnetByShape.Count >= _options.FixedShapeSessions)
            {
                return _pnetByShape.TryGetValue((width, height), out known) ? known.Value : _pnet;
            }

            // Lazy: a second thread asking for the same shape waits for the one session instead of making its own.
            return _pnetByShape.GetOrAdd((width, height), key => new Lazy<InferenceSession>(() => _sessions.Create(
                _sessions.FileOf(ModelFiles.PNet), _threads, new Dictionary<string, long> { ["height"] = key.Height, ["width"] = key.Width }))).Value;
        }
    }

    /// <param name="fillFrom">The same picture as <paramref name="image"/>, smaller (a pyrDown of it): the pyramid is drawn from it.</param>
    private void ProposeWithPNet(MtcnnWorkspace ws, Mat image, int minFace, Func<int, int, InferenceSession> pnet, ref StageClock times, Mat? fillFrom = null)
    {
        var t0 = Stopwatch.GetTimestamp();
        var canvas = ws.CanvasFor(image.Size(), minFace, _options.ScaleFactor);
        canvas.Fill(fillFrom ?? image);
        var t1 = Stopwatch.GetTimestamp();
        times.Preprocess += t1 - t0;

        using var input = canvas.Input.CreateTensor(1);
        using var outputs = pnet(canvas.Input.Width, canvas.Input.Height).Run(ws.RunOptions, InputNames, [input], TwoOutputs);
        var t2 = Stopwatch.GetTimestamp();
        times.PNet += t2 - t1;

        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        int outH = (int)shape[2], outW = (int)shape[3];
        var plane = outH * outW;
        var prob = outputs[0].GetTensorDataAsSpan<float>()[plane..];
        var reg = outputs[1].GetTensorDataAsSpan<float>();
        var threshold = _options.PNetThreshold;
        var level = ws.Level;
        foreach (var tile in canvas.Plan.Tiles)
        {
            level.Clear();
            int ox = tile.Area.X / 2, oy = tile.Area.Y / 2;
            var cellsX = Math.Min(tile.CellsX, outW - ox);
            var cellsY = Math.Min(tile.CellsY, outH - oy);
            for (var y = 0; y < cellsY; y++)
            {
                var row = ((oy + y) * outW) + ox;
                for (var x = 0; x < cellsX; x++)
                {
                    var score = prob[row + x];
                    if (score <= threshold)
                    {
                        continue;
                    }

                    var i = row + x;
                    level.Add(new CandidateBox(
                        2f * x / tile.ScaleX,
                        2f * y / tile.ScaleY,
                        ((2f * x) + PyramidPlan.Window) / tile.ScaleX,
                        ((2f * y) + PyramidPlan.Window) / tile.ScaleY,
                        score)
                    {
                        Dx1 = reg[i],
                        Dy1 = reg[plane + i],
                        Dx2 = reg[(2 * plane) + i],
                        Dy2 = reg[(3 * plane) + i],
                    });
                }
            }

            BoxMath.Nms(level, 0.5f, NmsMode.Union);
            ws.Boxes.AddRange(level);
        }

        BoxMath.Nms(ws.Boxes, 0.7f, NmsMode.Union);
        BoxMath.ApplyRegressionAndSquare(ws.Boxes);
        times.Postprocess += Stopwatch.GetTimestamp() - t2;
    }

    private void RefineWithRNet(MtcnnWorkspace ws, Mat image, ref StageClock times)
    {
        var boxes = ws.Boxes;
        for (var start = 0; start < boxes.Count; start += MaxBatch)
        {
            var count = Math.Min(MaxBatch, boxes.Count - start);
            using var outputs = RunBatch(ws, ws.RNetInput, _rnet, TwoOutputs, image, start, count, ref times.Preprocess, ref times.RNet);
            var t2 = Stopwatch.GetTimestamp();
            ReadScoresAndRegression(boxes, start, count, outputs[0].GetTensorDataAsSpan<float>(), outputs[1].GetTensorDataAsSpan<float>());
            times.Postprocess += Stopwatch.GetTimestamp() - t2;
        }

        var t3 = Stopwatch.GetTimestamp();
        KeepAbove(boxes, _options.RNetThreshold);
        BoxMath.Nms(boxes, 0.7f, NmsMode.Union);
        BoxMath.ApplyRegressionAndSquare(boxes);
        times.Postprocess += Stopwatch.GetTimestamp() - t3;
    }

    private List<FaceDetection> OutputWithONet(MtcnnWorkspace ws, Mat image, float scaleBack, ref StageClock times)
    {
        var boxes = ws.Boxes;
        if (ws.Landmarks.Length < boxes.Count * 10)
        {
            ws.Landmarks = new float[boxes.Count * 10 * 2];
        }

        var landmarks = ws.Landmarks;
        for (var start = 0; start < boxes.Count; start += MaxBatch)
        {
            var count = Math.Min(MaxBatch, boxes.Count - start);
            using var outputs = RunBatch(ws, ws.ONetInput, _onet, ONetOutputs, image, start, count, ref times.Preprocess, ref times.ONet);
            var t2 = Stopwatch.GetTimestamp();

            var marks = outputs[2].GetTensorDataAsSpan<float>();
            for (var i = 0; i < count; i++)
            {
                // Landmarks are fractions of the box O-Net saw, before its own regression moves the box.
                var n = start + i;
                var b = boxes[n];
                for (var j = 0; j < 5; j++)
                {
                    landmarks[(n * 10) + j] = b.X1 + (marks[(10 * i) + j] * b.Width);
                    landmarks[(n * 10) + 5 + j] = b.Y1 + (marks[(10 * i) + 5 + j] * b.Height);
                }

                b.Tag = n;
                boxes[n] = b;
            }

            ReadScoresAndRegression(boxes, start, count, outputs[0].GetTensorDataAsSpan<float>(), outputs[1].GetTensorDataAsSpan<float>());
            times.Postprocess += Stopwatch.GetTimestamp() - t2;
        }

        var t3 = Stopwatch.GetTimestamp();
        KeepAbove(boxes, _options.ONetThreshold);
        var span = CollectionsMarshal.AsSpan(boxes);
        for (var i = 0; i < span.Length; i++)
        {
            BoxMath.ApplyRegression(ref span[i]);
        }

        BoxMath.Nms(boxes, 0.7f, NmsMode.Min);

        var faces = new List<FaceDetection>(boxes.Count);
        foreach (var b in boxes)
        {
            var points = new Point2f[5];
            for (var j = 0; j < 5; j++)
            {
                points[j] = new Point2f(landmarks[(b.Tag * 10) + j] * scaleBack, landmarks[(b.Tag * 10) + 5 + j] * scaleBack);
            }

            faces.Add(new FaceDetection(
                new Rect2f(b.X1 * scaleBack, b.Y1 * scaleBack, b.Width * scaleBack, b.Height * scaleBack),
                b.Score,
                points));
        }

        times.Postprocess += Stopwatch.GetTimestamp() - t3;
        return faces;
    }

    /// <summary>
    /// Crops boxes [start, start + count) into <paramref name="input"/> and runs <paramref name="session"/> on them,
    /// adding the time spent to <paramref name="preprocess"/> and <paramref name="network"/>. The caller owns the outputs.
    /// </summary>
    private static IDisposableReadOnlyCollection<OrtValue> RunBatch(
        MtcnnWorkspace ws, NetworkInput input, InferenceSession session, string[] outputNames, Mat image, int start, int count, ref long preprocess, ref long network)
    {
        var t0 = Stopwatch.GetTimestamp();
        FillCrops(ws, input, image, ws.Boxes, start, count);
        var t1 = Stopwatch.GetTimestamp();
        preprocess += t1 - t0;

        using var tensor = input.CreateTensor(count);
        var outputs = session.Run(ws.RunOptions, InputNames, [tensor], outputNames);
        network += Stopwatch.GetTimestamp() - t1;
        return outputs;
    }

    /// <summary>Face score (softmax channel 1) and the four regression offsets of each box in the batch.</summary>
    private static void ReadScoresAndRegression(List<CandidateBox> boxes, int start, int count, ReadOnlySpan<float> prob, ReadOnlySpan<float> reg)
    {
        var span = CollectionsMarshal.AsSpan(boxes).Slice(start, count);
        for (var i = 0; i < span.Length; i++)
        {
            ref var b = ref span[i];
            b.Score = prob[(2 * i) + 1];
            b.Dx1 = reg[4 * i];
            b.Dy1 = reg[(4 * i) + 1];
            b.Dx2 = reg[(4 * i) + 2];
            b.Dy2 = reg[(4 * i) + 3];
        }
    }

    private static void KeepAbove(List<CandidateBox> boxes, float threshold)
    {
        var kept = 0;
        for (var i = 0; i < boxes.Count; i++)
        {
            if (boxes[i].Score >= threshold)
            {
                boxes[kept++] = boxes[i];
            }
        }

        boxes.RemoveRange(kept, boxes.Count - kept);
    }

    /// <summary>
    /// Cuts each (square) box out of the image and scales it to the network input. Parts of a box past the
    /// image edge are padded with black, so a face cut by the frame keeps its geometry. A big box is cut from
    /// a halved copy of the frame, so bilinear scaling never shrinks more than 2x: no aliasing, and area
    /// resampling per crop (a third of all time) is not needed.
    /// </summary>
    private static void FillCrops(MtcnnWorkspace ws, NetworkInput input, Mat image, List<CandidateBox> boxes, int start, int count)
    {
        input.EnsureCapacity(count);
        var crop = ws.Crop;
        var size = new Size(input.Width, input.Height);
        var span = CollectionsMarshal.AsSpan(boxes).Slice(start, count);
        for (var i = 0; i < span.Length; i++)
        {
            ref readonly var b = ref span[i];
            var halvings = 0;
            var side = Math.Max(b.Width, b.Height);
            while (side > 2 * size.Width && halvings < 8)
            {
                side /= 2;
                halvings++;
            }

            var source = SourceFor(ws, image, halvings);
            var f = 1f / (1 << halvings);
            var rect = new Rect(
                (int)MathF.Floor(b.X1 * f),
                (int)MathF.Floor(b.Y1 * f),
                Math.Max(1, (int)MathF.Round(b.Width * f)),
                Math.Max(1, (int)MathF.Round(b.Height * f)));
            var inside = rect & new Rect(0, 0, source.Width, source.Height);
            if (inside.Width <= 0 || inside.Height <= 0)
            {
                // Entirely outside: a black crop, which the network scores low.
                crop.Create(size, MatType.CV_8UC3);
                crop.SetTo(Scalar.All(0));
            }
            else if (inside == rect)
            {
                using var roi = new Mat(source, rect);
                Cv2.Resize(roi, crop, size, 0, 0, InterpolationFlags.Linear);
            }
            else
            {
                using var roi = new Mat(source, inside);
                Cv2.CopyMakeBorder(
                    roi,
                    ws.Padded,
                    inside.Y - rect.Y,
                    rect.Bottom - inside.Bottom,
                    inside.X - rect.X,
                    rect.Right - inside.Right,
                    BorderTypes.Constant,
                    Scalar.All(0));
                Cv2.Resize(ws.Padded, crop, size, 0, 0, InterpolationFlags.Linear);
            }

            input.SetImage(i, crop);
        }

        input.Normalise(count);
    }

    /// <summary>The frame halved <paramref name="halvings"/> times, made on first use in this frame.</summary>
    private static Mat SourceFor(MtcnnWorkspace ws, Mat image, int halvings)
    {
        if (halvings == 0)
        {
            return image;
        }

        while (ws.ValidHalves < halvings)
        {
            var previous = ws.ValidHalves == 0 ? image : ws.Halves[ws.ValidHalves - 1];
            if (ws.Halves.Count == ws.ValidHalves)
            {
                ws.Halves.Add(new Mat());
            }

            Cv2.PyrDown(previous, ws.Halves[ws.ValidHalves]);
            ws.ValidHalves++;
        }

        return ws.Halves[halvings - 1];
    }

    /// <summary>Stopwatch ticks per stage of one call.</summary>
    private struct StageClock
    {
        public long Preprocess;
        public long PNet;
        public long RNet;
        public long ONet;
        public long Postprocess;
        public int PNetCandidates;
        public int RNetCandidates;

        public readonly DetectionTimings ToTimings(TimeSpan total, int faces) => new(
            Ticks(Preprocess), Ticks(PNet), Ticks(RNet), Ticks(ONet), Ticks(Postprocess), total, PNetCandidates, RNetCandidates, faces);

        private static TimeSpan Ticks(long stopwatchTicks) => TimeSpan.FromSeconds((double)stopwatchTicks / Stopwatch.Frequency);
    }
}
