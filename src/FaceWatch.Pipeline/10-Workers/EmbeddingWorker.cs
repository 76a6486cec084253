using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Identification;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>One face as the embedding worker identified it: its camera, track, detection box, frame capture timestamp and the gallery's answer.</summary>
public sealed record EmbeddingObservation(string Camera, long TrackId, Rect2f Box, long CaptureTimestamp, IdentityMatch Match);

/// <summary>
/// The one embedding loop for all cameras: takes whatever aligned crops are waiting (up to <c>BatchSize</c>), hands
/// them to the <see cref="BatchIdentifier"/>, and writes what the books could not hand to the outbox. Disposes every
/// crop it takes.
/// </summary>
public sealed class EmbeddingWorker(DropOldestQueue<FaceCrop> crops, BatchIdentifier identifier, int batchSize, IReadOnlyList<TrackBook> books)
{
    public long Batches => identifier.Batches;

    public long Faces => identifier.Faces;

    public double LastBatchMs => identifier.LastBatchMs;

    /// <summary>Called with (camera, milliseconds from frame capture to identification) for every face; for the bench.</summary>
    public Action<string, double>? Identified
    {
        get => identifier.Identified;
        set => identifier.Identified = value;
    }

    /// <summary>Called with every face's identification, where the face was and when; for the bench and the scenario tests (per-face accuracy).</summary>
    public Action<EmbeddingObservation>? Observed
    {
        get => identifier.Observed;
        set => identifier.Observed = value;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = crops.Reader;
        var batch = new List<FaceCrop>(batchSize);
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (batch.Count < batchSize && reader.TryRead(out var crop))
                {
                    batch.Add(crop);
                }

                try
                {
                    identifier.Identify(batch);
                }
                finally
                {
                    foreach (var crop in batch)
                    {
                        crop.Dispose();
                    }

                    batch.Clear();
                }

                // Not cancelled: events taken from a book must reach the outbox (whose reader runs until the pipeline ends).
                await FlushOverflowAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown: the queue's owner disposes what is left.
        }
    }

    private async ValueTask FlushOverflowAsync(CancellationToken cancellationToken)
    {
        // Rare: the outbox was full when a book made an event; write those now, waiting for room.
        foreach (var book in books)
        {
            await book.FlushOverflowAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
