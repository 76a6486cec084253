using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// Collects the faces of one person from a camera's frames, one frame at a time: detects (the camera's
/// <c>MinFaceSize</c>), uses a frame only when exactly one confident face is in it (others are counted in
/// <see cref="Tally"/>), applies the daemon's quality gates (size, detector score, <c>Recognition:MinSharpness</c>) and a
/// frontality gate, and embeds the aligned crop. <see cref="Picked"/> chooses the best varied faces of what was seen.
/// Not thread-safe: one caller feeds the frames.
/// </summary>
public sealed class CameraEnroller(
    IFaceDetector detector, Func<Mat, FaceDetection, Mat> align, IFaceEmbedder embedder, RecognitionOptions recognition, CameraEnrollmentRequest request)
{
    private readonly List<EnrollmentCandidate> _candidates = [];

    public CameraTally Tally { get; } = new();

    public CameraEnrollmentRequest Request => request;

    /// <summary>Every usable face so far, in the order seen.</summary>
    public IReadOnlyList<EnrollmentCandidate> Candidates => _candidates;

    /// <summary>Looks at one frame (the caller keeps owning <paramref name="image"/>).</summary>
    public void Observe(Mat image, string source)
    {
        ArgumentNullException.ThrowIfNull(image);
        var faces = detector.Detect(image, request.MinFaceSize).Where(f => f.Score >= recognition.MinScore).ToArray();
        Tally.CountFrame(faces.Length);
        if (faces.Length != 1)
        {
            return;
        }

        var face = faces[0];
        var faceSize = Math.Min(face.Box.Width, face.Box.Height);
        if (FaceQuality.Gate(faceSize, face.Score, request.MinFaceSize, recognition) is not null)
        {
            Tally.CountSmall();
            return;
        }

        var frontality = CameraEnrollment.Frontality(face.Landmarks);
        if (frontality < CameraEnrollment.MinFrontality)
        {
            Tally.CountTurnedAway();
            return;
        }

        using var crop = align(image, face);
        var sharpness = FaceQuality.Sharpness(crop);
        if (sharpness < recognition.MinSharpness)
        {
            Tally.CountBlurred();
            return;
        }

        var embedding = embedder.Embed([crop])[0];
        Tally.CountUsable();
        _candidates.Add(new EnrollmentCandidate(source, embedding, FaceQuality.Weight(faceSize, face.Score, sharpness, recognition) * frontality));
    }

    /// <summary>The best varied faces seen so far (<see cref="CameraEnrollment.Pick"/>, up to the request's <c>MaxFaces</c>).</summary>
    public IReadOnlyList<EnrollmentCandidate> Picked() => CameraEnrollment.Pick(_candidates, request.MaxFaces);
}
