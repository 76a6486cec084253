using OpenCvSharp;
using System.Diagnostics;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Tracking;
using Microsoft.Extensions.Logging;

using FaceWatch.Core.Health;

namespace FaceWatch.Pipeline.Workers;

/// <summary>One face as the embedding worker identified it: its camera, track, detection box, frame capture timestamp and the gallery's answer.</summary>
public sealed record EmbeddingObservation(string Camera, long TrackId, Rect2f Box, long CaptureTimestamp, IdentityMatch Match);

// Size: six parameters: the crop queue it reads, the embedder and gallery it calls, the batch size, the books it writes to, and its log.
/// <summary>
/// The one embedding loop for all cameras: takes whatever aligned crops are waiting (up to <c>BatchSize</c>), embeds
/// them in one batched call on the shared session, identifies each, and hands the observation to its camera's
/// <see cref="TrackBook"/>. Records each face's identification time and, once a frame's faces in the batch are all
/// identified, the frame's latency from capture. Disposes every crop it takes.
/// </summary>
public sealed class EmbeddingWorker
{
    private readonly DropOldestQueue<FaceCrop> _crops;
    private readonly IFaceEmbedder _embedder;
    private readonly GalleryWatcher _gallery;
    private readonly RecognitionOptions _options;
    private readonly IReadOnlyList<TrackBook> _books;
    private long _batches;
    private long _faces;

    private readonly ILogger _logger;
    private readonly FaceWatchMetrics? _metrics;

    public EmbeddingWorker(
        DropOldestQueue<FaceCrop> crops, IFaceEmbedder embedder, GalleryWatcher gallery, RecognitionOptions options, IReadOnlyList<TrackBook> books, ILogger logger,
        FaceWatchMetrics? metrics = null)
    {
        _logger = logger;
        _metrics = metrics;
        _books = books;
        _crops = crops;
        _embedder = embedder;
        _gallery = gallery;
        _options = options;
    }

    public long Batches => Interlocked.Read(ref _batches);

    public long Faces => Interlocked.Read(ref _faces);

    public double LastBatchMs { get; private set; }

    /// <summary>Called with (camera, milliseconds from frame capture to identification) for every face; for the bench.</summary>
    public Action<string, double>? Identified { get; set; }

    /// <summary>Called with every face's identification, where the face was and when; for the bench and the scenario tests (per-face accuracy).</summary>
    public Action<EmbeddingObservation>? Observed { get; set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _crops.Reader;
        var batch = new List<FaceCrop>(_options.BatchSize);
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (batch.Count < _options.BatchSize && reader.TryRead(out var crop))
                {
                    batch.Add(crop);
                }

                try
                {
                    Process(batch);
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

    private void Process(List<FaceCrop> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var embeddings = _embedder.Embed(batch.ConvertAll(c => c.Image));
        LastBatchMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _faces, batch.Count);
        var sameFace = _gallery.SameFace;
        // One identifier for the batch: a gallery reload in between must not mix two galleries' answers for one face.
        var identifier = _gallery.Current;
        for (var i = 0; i < batch.Count; i++)
        {
            var identifying = Stopwatch.GetTimestamp();
            var match = identifier?.Identify(embeddings[i]) ?? new Identification.IdentityMatch(Identification.IdentityMatch.Unknown, false, 0, 0, null);
            if (identifier is not null)
            {
                _metrics?.IdentificationDuration(Stopwatch.GetElapsedTime(identifying).TotalMilliseconds);
            }

            var crop = batch[i];
            Log.Observation(_logger, crop.Book.Camera, crop.TrackId, match.Candidate ?? "-", match.Known, match.Probability, match.Similarity, crop.Weight);
            crop.Book.Identified(
                crop.TrackId,
                IdentityObservation.From(match, crop.Weight),
                embeddings[i],
                sameFace,
                crop.CaptureTimestamp,
                () => crop.Image.ImEncode(".jpg"),
                identifier);
            Identified?.Invoke(crop.Book.Camera, Stopwatch.GetElapsedTime(crop.CaptureTimestamp).TotalMilliseconds);
            Observed?.Invoke(new EmbeddingObservation(crop.Book.Camera, crop.TrackId, crop.Box, crop.CaptureTimestamp, match));
        }

        RecordFrameLatencies(batch);
    }

    /// <summary>One <c>facewatch.frame.latency</c> per frame of the batch (its faces are all identified now).</summary>
    private void RecordFrameLatencies(List<FaceCrop> batch)
    {
        if (_metrics is null)
        {
            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (!SameFrameEarlier(batch, i))
            {
                _metrics.FrameIdentified(batch[i].Book.Camera, batch[i].CaptureTimestamp);
            }
        }
    }

    /// <summary>Whether a crop before <paramref name="index"/> came from the same frame (a batch holds a few crops: no set needed).</summary>
    private static bool SameFrameEarlier(List<FaceCrop> batch, int index)
    {
        var crop = batch[index];
        for (var j = 0; j < index; j++)
        {
            if (ReferenceEquals(batch[j].Book, crop.Book) && batch[j].CaptureTimestamp == crop.CaptureTimestamp)
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask FlushOverflowAsync(CancellationToken cancellationToken)
    {
        // Rare: the outbox was full when a book made an event; write those now, waiting for room.
        foreach (var book in _books)
        {
            await book.FlushOverflowAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
