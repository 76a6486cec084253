using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// One camera's frame, stage by stage: shot cut, detection where the <see cref="CameraDetector"/> says, tracking,
/// the visits' book, faces scheduled for embedding, overlays posted. Also ends the tracks that expire.
/// </summary>
public sealed class CameraFrameProcessor(CameraDetector detector, FaceTracker tracker, TrackBook book, CropScheduler crops, FrameAnnotator annotator)
{
    private readonly ShotCutDetector _cuts = new(tracker.Options);

    /// <summary>The latest frame's detection: plan, motion and cost (for the bench and tests).</summary>
    public CameraDetection? LastDetection { get; private set; }

    /// <summary>Shot cuts seen on this camera.</summary>
    public long ShotCuts => _cuts.Cuts;

    public void Process(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Epoch != book.Epoch)
        {
            // A new ownership term (cluster hand-off): the last term's visits end under its epoch, new ones start under this.
            EndAll();
            book.Epoch = frame.Epoch;
        }

        var image = frame.Image;
        // The cut first: it voids the motion background and asks for a full scan.
        var cut = _cuts.Observe(image);
        var found = detector.Detect(image, frame.CaptureTimestamp, tracker.Predicted(frame.CaptureTimestamp), cut);
        LastDetection = found;

        var update = tracker.Update(found.Faces, frame.CaptureTimestamp, frame.CapturedAt, cut);
        book.End(update.Ended);
        var frameSize = new Size(image.Width, image.Height);
        var overlays = new List<TrackOverlay>(update.Active.Count);
        foreach (var track in update.Active)
        {
            if (!track.Confirmed)
            {
                continue;
            }

            FacePatchCheck.Check(image, track, tracker.Options);
            book.Seen(track, frameSize);
            if (track.Detection is not { } detection)
            {
                // Coasting on its prediction (no face matched in this frame): not drawn, a box there would lag the face.
                continue;
            }

            crops.Schedule(frame, track, detection);
            // The visit's id and name; no name while the face is in doubt. The detection's own box: where the face is in this very frame.
            var view = book.ViewOf(track.Id);
            var decision = view?.Decision;
            overlays.Add(new TrackOverlay(view?.VisitId ?? track.Id, detection.Box, detection.Landmarks, decision?.Name, decision?.Known ?? false, decision?.Confidence ?? 0)
            {
                Nearest = decision?.Nearest, Similarity = decision?.Similarity ?? 0, Margin = decision?.Margin,
            });
        }

        annotator.Post(frame, overlays);
    }

    /// <summary>No frame came (camera offline): tracks still expire.</summary>
    public void Idle(long now) => book.End(tracker.Expire(now));

    /// <summary>After a batch of frames: <c>left</c> for lingering visits (all of them with <paramref name="all"/>), events handed over.</summary>
    public ValueTask FlushAsync(bool all, CancellationToken cancellationToken) => book.SweepAndFlushAsync(all, cancellationToken);

    /// <summary>At the camera's end or shutdown: every announced track gets its <c>left</c>.</summary>
    public void EndAll() => book.End(tracker.EndAll());
}
