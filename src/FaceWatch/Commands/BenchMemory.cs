using System.Globalization;
using System.Runtime;

namespace FaceWatch.Commands;

/// <summary>
/// The memory readout of <c>bench pipeline</c>: resident memory sampled at a fixed interval through the measured window
/// (the soak line, flat or not), and where the managed part stands (GC mode, heap, committed, fragmentation), so the
/// rest of the resident memory is native (ONNX Runtime, OpenCV, glibc). docs/performance-memory.md reads these lines.
/// </summary>
internal sealed class BenchMemory : IAsyncDisposable
{
    private readonly List<double> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _lastSampleAt;
    private readonly Task _sampling;

    private BenchMemory(TimeSpan interval)
    {
        Interval = interval;
        _samples.Add(Resident().Current);
        _sampling = SampleAsync(interval, _stop.Token);
    }

    public TimeSpan Interval { get; }

    /// <summary>Takes the first sample now (after warm-up) and one every <paramref name="interval"/> until <see cref="StopAsync"/>.</summary>
    public static BenchMemory Start(TimeSpan interval) => new(interval);

    /// <summary>Stops sampling and takes the last sample (the end of the measured window).</summary>
    public async Task<IReadOnlyList<double>> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        lock (_samples)
        {
            // A tick that landed just before the end stands for the end: the end sample replaces it.
            if (_samples.Count > 1 && _clock.Elapsed - _lastSampleAt < TimeSpan.FromSeconds(2))
            {
                _samples.RemoveAt(_samples.Count - 1);
            }

            _samples.Add(Resident().Current);
            return [.. _samples];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>The soak line: every sample, and the growth from the first (after warm-up) to the last (the end).</summary>
    public static string DescribeSoak(IReadOnlyList<double> samples, TimeSpan interval)
    {
        var values = string.Join(" ", samples.Select(s => s.ToString("0", CultureInfo.InvariantCulture)));
        var growth = samples[^1] - samples[0];
        var minutes = Math.Max(1e-9, (samples.Count - 1) * interval.TotalMinutes);
        return string.Create(CultureInfo.InvariantCulture,
            $"soak: resident MB every {interval.TotalSeconds:0} s (and at the end): {values}; growth {growth:+0;-0;0} MB from the first sample after warm-up to the end, min {samples.Min():0}, max {samples.Max():0}");
    }

    /// <summary>GC mode and the managed heap after the last GC, against the process's anonymous resident memory.</summary>
    public static string DescribeManaged()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        const double mb = 1048576.0;
        var mode = $"{(GCSettings.IsServerGC ? "Server" : "Workstation")}{(IsConcurrent() ? " concurrent" : "")} GC";
        var conserve = AppContext.GetData("GCConserveMemory") ?? AppContext.GetData("System.GC.ConserveMemory");
        var datas = AppContext.GetData("System.GC.DynamicAdaptationMode");
        var settings = (conserve, datas) switch
        {
            (null, null) => "",
            _ => $" (ConserveMemory={conserve ?? "-"}, DynamicAdaptationMode={datas ?? "-"})",
        };
        var gens = info.GenerationInfo;
        var loh = gens.Length > 3 ? gens[3].SizeAfterBytes / mb : 0;
        var poh = gens.Length > 4 ? gens[4].SizeAfterBytes / mb : 0;
        var pohFree = gens.Length > 4 ? gens[4].FragmentationAfterBytes / mb : 0;
        var (anon, file) = AnonymousAndFile();
        return string.Create(CultureInfo.InvariantCulture,
            $"managed: {mode}{settings}, heap {info.HeapSizeBytes / mb:0} MB (LOH {loh:0}, pinned {poh:0} of which {pohFree:0} free), committed {info.TotalCommittedBytes / mb:0} MB, fragmented {info.FragmentedBytes / mb:0} MB, {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} gen0/1/2 GCs; resident anonymous {anon:0} MB (native ~{anon - (info.TotalCommittedBytes / mb):0} MB beyond the GC's committed), file-backed {file:0} MB");
    }

    /// <summary>
    /// glibc's malloc (ONNX Runtime's arena, OpenCV's Mats, frames): bytes in use, of which in chunks of their own
    /// (mmapped), and bytes freed but kept in its heaps. Null where glibc is not the C library.
    /// </summary>
    public static string? DescribeNativeHeap()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var info = NativeMethods.mallinfo2();
            const double mb = 1048576.0;
            return string.Create(CultureInfo.InvariantCulture,
                $"native heap (glibc malloc): in use {info.Uordblks / mb + info.Hblkhd / mb:0} MB ({info.Hblkhd / mb:0} MB of it in {info.Hblks} mmapped chunks), freed but kept {info.Fordblks / mb:0} MB");
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>VmRSS and VmHWM of this process in MB (Linux); the working set twice elsewhere.</summary>
    public static (double Current, double Peak) Resident()
    {
        var status = Status();
        if (status is null)
        {
            var mb = Environment.WorkingSet / 1048576.0;
            return (mb, mb);
        }

        return (Field(status, "VmRSS:"), Field(status, "VmHWM:"));
    }

    private static (double Anonymous, double File) AnonymousAndFile()
    {
        var status = Status();
        return status is null ? (0, 0) : (Field(status, "RssAnon:"), Field(status, "RssFile:") + Field(status, "RssShmem:"));
    }

    private static string[]? Status()
    {
        const string path = "/proc/self/status";
        return File.Exists(path) ? File.ReadAllLines(path) : null;
    }

    private static double Field(string[] lines, string name) =>
        lines.Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Select(l => double.Parse(l[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024).FirstOrDefault();

    private static bool IsConcurrent() => AppContext.GetData("System.GC.Concurrent") is not (false or "false");

    private async Task SampleAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                lock (_samples)
                {
                    _samples.Add(Resident().Current);
                    _lastSampleAt = _clock.Elapsed;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The measured window ended.
        }
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", ExactSpelling = true)]
        public static extern MallInfo2 mallinfo2();
    }

    /// <summary>glibc's <c>struct mallinfo2</c> (glibc 2.33 and later).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private readonly struct MallInfo2
    {
        public readonly nuint Arena;
        public readonly nuint Ordblks;
        public readonly nuint Smblks;
        public readonly nuint Hblks;
        public readonly nuint Hblkhd;
        public readonly nuint Usmblks;
        public readonly nuint Fsmblks;
        public readonly nuint Uordblks;
        public readonly nuint Fordblks;
        public readonly nuint Keepcost;
    }
}
