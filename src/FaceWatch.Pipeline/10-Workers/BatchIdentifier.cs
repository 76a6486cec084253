using System.Diagnostics;
using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identity;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// Embeds a batch of aligned crops in one call on the shared session, identifies each against one gallery snapshot,
/// and hands the observation to its camera's <see cref="TrackBook"/>. Records each face's identification time and, once
/// a frame's faces in the batch are all identified, the frame's latency from capture.
/// </summary>
public sealed class BatchIdentifier(IFaceEmbedder embedder, GalleryWatcher gallery, ILogger logger, FaceWatchMetrics? metrics = null)
{
    private long _batches;
    private long _faces;

    public long Batches => Interlocked.Read(ref _batches);

    public long Faces => Interlocked.Read(ref _faces);

    public double LastBatchMs { get; private set; }

    /// <summary>Called with (camera, milliseconds from frame capture to identification) for every face; for the bench.</summary>
    public Action<string, double>? Identified { get; set; }

    /// <summary>Called with every face's identification, where the face was and when; for the bench and the scenario tests (per-face accuracy).</summary>
    public Action<EmbeddingObservation>? Observed { get; set; }

    public void Identify(List<FaceCrop> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var embeddings = embedder.Embed(batch.ConvertAll(c => c.Image));
        LastBatchMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _faces, batch.Count);
        var sameFace = gallery.SameFace;
        // One identifier for the batch: a gallery reload in between must not mix two galleries' answers for one face.
        var identifier = gallery.Current;
        for (var i = 0; i < batch.Count; i++)
        {
            var identifying = Stopwatch.GetTimestamp();
            var match = identifier?.Identify(embeddings[i]) ?? new Identification.IdentityMatch(Identification.IdentityMatch.Unknown, false, 0, 0, null);
            if (identifier is not null)
            {
                metrics?.IdentificationDuration(Stopwatch.GetElapsedTime(identifying).TotalMilliseconds);
            }

            var crop = batch[i];
            Log.Observation(logger, crop.Book.Camera, crop.TrackId, match.Candidate ?? "-", match.Known, match.Probability, match.Similarity, crop.Weight);
            crop.Book.Identified(
                crop.TrackId,
                IdentityObservation.From(match, crop.Weight),
                embeddings[i],
                sameFace,
                crop.CaptureTimestamp,
                () => crop.Image.ImEncode(".jpg"),
                identifier,
                crop.Quality);
            Identified?.Invoke(crop.Book.Camera, Stopwatch.GetElapsedTime(crop.CaptureTimestamp).TotalMilliseconds);
            Observed?.Invoke(new EmbeddingObservation(crop.Book.Camera, crop.TrackId, crop.Box, crop.CaptureTimestamp, match));
        }

        RecordFrameLatencies(batch);
    }

    /// <summary>One <c>facewatch.frame.latency</c> per frame of the batch (its faces are all identified now).</summary>
    private void RecordFrameLatencies(List<FaceCrop> batch)
    {
        if (metrics is null)
        {
            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (!SameFrameEarlier(batch, i))
            {
                metrics.FrameIdentified(batch[i].Book.Camera, batch[i].CaptureTimestamp);
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
}
