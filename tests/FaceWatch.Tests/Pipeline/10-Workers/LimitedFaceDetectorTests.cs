using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Workers;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Workers;

/// <summary>The shared detector behind <c>Pipeline:ParallelDetections</c>: never more callers inside than slots, none lost.</summary>
public sealed class LimitedFaceDetectorTests
{
    [Fact]
    public void Four_cameras_on_two_slots_detect_two_at_a_time_and_all_get_their_faces()
    {
        var inner = new CountingDetector();
        using var limited = new LimitedFaceDetector(inner, slots: 2);
        using var image = new Mat(24, 24, MatType.CV_8UC3, Scalar.All(0));
        var results = new int[4];
        var cameras = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            for (var n = 0; n < 10; n++)
            {
                results[i] += limited.Detect(image, 12).Count;
            }
        })).ToArray();
        foreach (var t in cameras)
        {
            t.Start();
        }

        foreach (var t in cameras)
        {
            t.Join();
        }

        Assert.Equal(2, inner.MaxInside);
        Assert.Equal([10, 10, 10, 10], results);
    }

    [Fact]
    public void A_failing_detection_frees_its_slot()
    {
        using var limited = new LimitedFaceDetector(new CountingDetector { Fail = true }, slots: 1);
        using var image = new Mat(24, 24, MatType.CV_8UC3, Scalar.All(0));
        Assert.Throws<InvalidOperationException>(() => limited.Detect(image));
        Assert.Throws<InvalidOperationException>(() => limited.Detect(image));
    }

    /// <summary>Counts callers inside at once; the first ones wait (up to a second) until two were inside together.</summary>
    private sealed class CountingDetector : IFaceDetector
    {
        private readonly ManualResetEventSlim _twoInside = new();
        private int _inside;
        private int _max;

        public bool Fail { get; init; }

        public int MaxInside => Volatile.Read(ref _max);

        public IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize = null)
        {
            var now = Interlocked.Increment(ref _inside);
            int seen;
            while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }

            try
            {
                if (Fail)
                {
                    throw new InvalidOperationException("detector failed");
                }

                if (now >= 2)
                {
                    _twoInside.Set();
                }

                _twoInside.Wait(TimeSpan.FromSeconds(1));
                Thread.Sleep(2);
                return [new FaceDetection(new Rect2f(0, 0, 12, 12), 0.99f, new Point2f[5])];
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }
    }
}
