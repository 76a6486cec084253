using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Tracking;

namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// Picks the faces worth embedding: quality gates (size, score, sharpness) and the visit's schedule, then an aligned
/// copy into the shared crop queue. A settled track between rechecks costs no alignment at all.
/// </summary>
public sealed class CropScheduler(int minFaceSize, RecognitionOptions recognition, AlignFace align, DropOldestQueue<FaceCrop> crops, TrackBook book)
{
    public void Schedule(Frame frame, Track track, FaceDetection detection)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(track);
        ArgumentNullException.ThrowIfNull(detection);
        var faceSize = Math.Min(detection.Box.Width, detection.Box.Height);
        if (FaceQuality.Gate(faceSize, detection.Score, minFaceSize, recognition) is not null
            || !book.MayEmbed(track.Id, frame.CaptureTimestamp))
        {
            return;
        }

        var crop = align(frame.Image, detection);
        try
        {
            var sharpness = FaceQuality.Sharpness(crop);
            if (sharpness < recognition.MinSharpness || !book.ShouldEmbed(track.Id, faceSize, sharpness, frame.CaptureTimestamp))
            {
                return;
            }

            var weight = FaceQuality.Weight(faceSize, detection.Score, sharpness, recognition);
#pragma warning disable CA2000 // the crop queue owns it now (it disposes what it drops)
            crops.Write(new FaceCrop(book, track.Id, crop, weight, frame.CaptureTimestamp) { Box = detection.Box, Quality = faceSize * sharpness });
#pragma warning restore CA2000
            crop = null; // the queue owns it now
        }
        finally
        {
            crop?.Dispose();
        }
    }
}
