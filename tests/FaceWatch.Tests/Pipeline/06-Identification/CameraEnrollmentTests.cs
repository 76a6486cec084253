using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Tracking;
using OpenCvSharp;

namespace FaceWatch.Tests.Pipeline.Identification;

/// <summary>The rules of <c>enroll --camera</c> on synthetic embeddings and detections: which faces are picked, when it refuses.</summary>
public sealed class CameraEnrollmentTests
{
    private const int Dimension = 8;

    private static readonly CameraEnrollmentRequest Door = new("door", "alice", 10, 40);

    [Fact]
    public void Pick_takes_the_best_faces_first_and_skips_one_that_looks_like_a_face_already_picked()
    {
        var pose1 = Axis(0);
        var pose2 = Axis(1);
        EnrollmentCandidate[] candidates =
        [
            new("a", pose1, 0.5),
            new("b", Mix(pose1, pose2, 0.02), 0.9), // the same look as "a" (cosine ~0.9998), better: it replaces "a"
            new("c", pose2, 0.7),
            new("d", Mix(pose1, pose2, 0.5), 0.6), // between the two (cosine 0.71 to each): a look of its own
            new("e", Mix(pose2, pose1, 0.1), 0.3), // cosine 0.995 to "c"
        ];

        var picked = CameraEnrollment.Pick(candidates, maxFaces: 10);

        Assert.Equal(["b", "c", "d"], picked.Select(p => p.Source));
        foreach (var a in picked)
        {
            Assert.All(picked.Where(b => b != a), b => Assert.True(VectorMath.Dot(a.Embedding, b.Embedding) <= CameraEnrollment.MaxSimilarity));
        }
    }

    [Fact]
    public void Pick_stops_at_max_faces_in_quality_order_and_keeps_arrival_order_on_ties()
    {
        var candidates = Enumerable.Range(0, Dimension).Select(i => new EnrollmentCandidate($"f{i}", Axis(i), i < 4 ? 0.5 : 0.9)).ToArray();

        var picked = CameraEnrollment.Pick(candidates, maxFaces: 6);

        Assert.Equal(["f4", "f5", "f6", "f7", "f0", "f1"], picked.Select(p => p.Source));
        Assert.Throws<ArgumentOutOfRangeException>(() => CameraEnrollment.Pick(candidates, maxFaces: 0));
    }

    [Fact]
    public void Frontality_is_one_facing_the_camera_and_zero_in_profile_whatever_the_roll()
    {
        Assert.Equal(1, CameraEnrollment.Frontality(Landmarks(noseAt: 0.5)), 6);
        Assert.Equal(0.5, CameraEnrollment.Frontality(Landmarks(noseAt: 0.25)), 6);
        Assert.Equal(0, CameraEnrollment.Frontality(Landmarks(noseAt: 1.1)), 6);
        // Rolled by 90 degrees (eyes one above the other), nose midway: still facing the camera.
        Assert.Equal(1, CameraEnrollment.Frontality([new(50, 10), new(50, 50), new(60, 30), new(80, 10), new(80, 50)]), 6);
        Assert.Equal(0, CameraEnrollment.Frontality([new(50, 10), new(50, 10), new(60, 30)]));
    }

    [Fact]
    public void Refuses_no_frame_no_face_several_faces_in_most_frames_and_too_few_faces_saying_why()
    {
        Assert.Contains("camera 'door' gave no frame in 10 s", CameraEnrollment.Refusal(Door, Tally(), 0), StringComparison.Ordinal);
        Assert.Equal(
            "no face seen at camera 'door' in 10 s (30 frames): alice must face the camera, close enough for a face of at least 40 px; alice is not enrolled.",
            CameraEnrollment.Refusal(Door, Tally(none: 30), 0));

        // 3 faces in 80 % of the frames: several faces in most frames with a face.
        var crowd = Tally(none: 2, one: 6, several: (3, 30), more: (2, 2));
        Assert.Equal(
            "3 faces in view in 80 % of frames: only the person to enroll may be in front of camera 'door'; alice is not enrolled.",
            CameraEnrollment.Refusal(Door, crowd, picked: 6));

        var few = Tally(none: 1, one: 10, several: (2, 3));
        var refusal = CameraEnrollment.Refusal(Door, few, picked: 2);
        Assert.StartsWith("only 2 usable, different-looking faces of alice at camera 'door' in 10 s (at least 3 needed)", refusal, StringComparison.Ordinal);
        Assert.Contains("3 frames had several faces and 1 none", refusal, StringComparison.Ordinal);

        // Some frames with two people, most with one: enough different faces is enough.
        Assert.Null(CameraEnrollment.Refusal(Door, few, picked: 3));
        Assert.Null(CameraEnrollment.Refusal(Door with { MinFaces = 5 }, few, picked: 5));
        Assert.NotNull(CameraEnrollment.Refusal(Door with { MinFaces = 5 }, few, picked: 4));
    }

    [Fact]
    public void Faces_that_look_like_someone_else_already_enrolled_are_refused()
    {
        var gallery = TwoPeople();
        var bobLike = Faces("cam", Enumerable.Range(0, 4).Select(i => Mix(Axis(1), Axis(4 + i), 0.2)));

        var asAda = CameraEnrollment.CheckAgainst(gallery, "ada", bobLike, "door");
        Assert.Empty(asAda.Kept);
        Assert.Contains("4 of the 4 faces seen at camera 'door' do not fit ada: they look like bob, who is already enrolled", asAda.Refusal, StringComparison.Ordinal);

        // The same faces for bob himself: all kept.
        var asBob = CameraEnrollment.CheckAgainst(gallery, "bob", bobLike, "door");
        Assert.Null(asBob.Refusal);
        Assert.Equal(4, asBob.Kept.Count);
    }

    [Fact]
    public void A_minority_of_faces_that_do_not_fit_is_left_out_and_too_few_left_is_refused()
    {
        var gallery = TwoPeople();
        var carol = Enumerable.Range(0, 4).Select(i => Mix(Axis(2), Axis(4 + i), 0.2)).ToList();
        var withOneOfBob = Faces("cam", [.. carol, Axis(1)]);

        var check = CameraEnrollment.CheckAgainst(gallery, "carol", withOneOfBob, "door");
        Assert.Null(check.Refusal);
        Assert.Equal(4, check.Kept.Count);
        var leftOut = Assert.Single(check.LeftOut);
        Assert.Equal("cam4", leftOut.Face.Source);
        Assert.Equal("bob", leftOut.CloserTo);

        var fewer = CameraEnrollment.CheckAgainst(gallery, "carol", Faces("cam", [.. carol.Take(2), Axis(1)]), "door", minFaces: 3);
        Assert.Contains("only 2 of the 3 faces seen at camera 'door' fit carol (at least 3 needed)", fewer.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void The_enroller_uses_only_frames_with_one_confident_sharp_frontal_face_of_the_minimum_size()
    {
        var recognition = new RecognitionOptions { MinScore = 0.9, MinSharpness = 10 };
        var detector = new ScriptedDetector();
        var embedder = new AxisEmbedder();
        var enroller = new CameraEnroller(detector, Crop, embedder, recognition, Door);
        using var frame = new Mat(240, 320, MatType.CV_8UC3, Scalar.All(0));

        void See(params FaceDetection[] faces)
        {
            detector.Next = faces;
            enroller.Observe(frame, $"camera:door#{enroller.Tally.Frames + 1}");
        }

        See(); // nobody
        See(Face(100), Face(80)); // two people
        See(Face(60), Face(80, score: 0.5f)); // one person and an unsure detection: one face
        See(Face(30)); // too small for MinFaceSize 40
        See(Face(100, noseAt: 1.2)); // profile
        See(Face(100, blurred: true));
        See(Face(120));

        var t = enroller.Tally;
        Assert.Equal((7, 1, 5, 1), (t.Frames, t.NoFace, t.OneFace, t.SeveralFaces));
        Assert.Equal((1, 1, 1, 2), (t.Small, t.TurnedAway, t.Blurred, t.Usable));
        Assert.Equal(["camera:door#3", "camera:door#7"], enroller.Candidates.Select(c => c.Source));
        Assert.Equal(2, embedder.Calls);
        // Quality from the daemon's weight (size, score, sharpness) times frontality: the bigger face (80 px or more) ranks first.
        Assert.Equal("camera:door#7", enroller.Picked()[0].Source);
    }

    private static Mat Crop(Mat frame, FaceDetection face)
    {
        var crop = new Mat(112, 112, MatType.CV_8UC3, Scalar.All(128));
        if (face.Landmarks[3].X >= 0)
        {
            Cv2.Randu(crop, Scalar.All(0), Scalar.All(255)); // sharp: noise has a large Laplacian variance
        }

        return crop;
    }

    private static FaceDetection Face(float size, float score = 0.99f, double noseAt = 0.5, bool blurred = false)
    {
        var marks = Landmarks(noseAt, size);
        // The scripted crop is flat (blurred) when the left mouth corner is flagged with a negative X.
        marks[3] = blurred ? new Point2f(-1, marks[3].Y) : marks[3];
        return new FaceDetection(new Rect2f(10, 10, size, size), score, marks);
    }

    private static Point2f[] Landmarks(double noseAt, float size = 100)
    {
        var (lx, rx) = (10 + (0.3f * size), 10 + (0.7f * size));
        var nose = (float)(lx + (noseAt * (rx - lx)));
        return [new(lx, 40), new(rx, 40), new(nose, 60), new(lx, 80), new(rx, 80)];
    }

    private static CameraTally Tally(int none = 0, int one = 0, (int Faces, int Frames)? several = null, (int Faces, int Frames)? more = null)
    {
        var t = new CameraTally();
        for (var i = 0; i < none; i++)
        {
            t.CountFrame(0);
        }

        for (var i = 0; i < one; i++)
        {
            t.CountFrame(1);
        }

        foreach (var (faces, frames) in new[] { several, more }.OfType<(int, int)>())
        {
            for (var i = 0; i < frames; i++)
            {
                t.CountFrame(faces);
            }
        }

        return t;
    }

    private static Gallery TwoPeople()
    {
        var model = new EmbeddingModelIdentity("test-model", "m.onnx", 112, Dimension);
        EnrolledPerson Person(string name, int axis) =>
            new(name, Faces(name, Enumerable.Range(0, 3).Select(i => Mix(Axis(axis), Axis(5 + i), 0.15))));
        return Gallery.Create(model, [Person("ada", 0), Person("bob", 1)], DateTimeOffset.UnixEpoch, calibration: new GalleryCalibration(null));
    }

    private static EnrolledFace[] Faces(string source, IEnumerable<float[]> embeddings) =>
        embeddings.Select((e, i) => new EnrolledFace($"{source}{i}", e)).ToArray();

    private static float[] Axis(int i)
    {
        var v = new float[Dimension];
        v[i] = 1;
        return v;
    }

    /// <summary>Normalised (1 - a) x + a y.</summary>
    private static float[] Mix(float[] x, float[] y, double a) =>
        VectorMath.Normalized(x.Zip(y, (p, q) => (float)(((1 - a) * p) + (a * q))).ToArray());

    private sealed class ScriptedDetector : IFaceDetector
    {
        public FaceDetection[] Next { get; set; } = [];

        public IReadOnlyList<FaceDetection> Detect(Mat image, int? minFaceSize = null) => Next;
    }

    /// <summary>Each call gives the next axis, so every usable face looks different.</summary>
    private sealed class AxisEmbedder : IFaceEmbedder
    {
        public int Calls { get; private set; }

        public int InputSize => 112;

        public int Dimension => CameraEnrollmentTests.Dimension;

        public string ModelId => "test-model";

        public float[][] Embed(IReadOnlyList<Mat> alignedCrops) => alignedCrops.Select(_ => Axis(Calls++ % Dimension)).ToArray();
    }
}
