using FaceWatch.Pipeline.Capture;

namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// One camera's detection loop: reads the newest frames, lets the <see cref="FramePacer"/> hold them to the camera's
/// DetectFps, hands each to the <see cref="CameraFrameProcessor"/>, and flushes the visits' events. Owns and disposes
/// every frame it reads.
/// </summary>
public sealed class DetectionWorker(DropOldestQueue<Frame> frames, FramePacer pacer, CameraFrameProcessor processor, TimeProvider time)
{
    private static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(0.5);

    public CameraFrameProcessor Processor => processor;

    /// <summary>Called with milliseconds from frame capture to tracked, for every processed frame; for the bench.</summary>
    public Action<double>? Processed { get; set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = frames.Reader;
        Task<bool>? waiting = null;
        try
        {
            while (true)
            {
                waiting ??= reader.WaitToReadAsync(cancellationToken).AsTask();
                if (!waiting.IsCompleted)
                {
                    // Only a wait needs the idle timer: frames already queued (the usual case under load) start none.
                    await Task.WhenAny(waiting, Task.Delay(IdleTick, time, cancellationToken)).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (!waiting.IsCompleted)
                {
                    processor.Idle(time.GetTimestamp());
                    await processor.FlushAsync(all: false, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (!await waiting.ConfigureAwait(false))
                {
                    break; // the camera finished
                }

                waiting = null;
#pragma warning disable CA2000 // false positive: disposed by the using block below
                while (reader.TryRead(out var frame))
#pragma warning restore CA2000
                {
                    using (frame)
                    {
                        if (pacer.Admit(frame))
                        {
                            processor.Process(frame);
                            Processed?.Invoke(time.GetElapsedTime(frame.CaptureTimestamp).TotalMilliseconds);
                        }
                    }
                }

                await processor.FlushAsync(all: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        finally
        {
            processor.EndAll();
            await processor.FlushAsync(all: true, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
