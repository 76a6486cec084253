using System.Globalization;
using FaceWatch.Core.Numerics;

namespace FaceWatch.Pipeline.Identification;

/// <summary>One usable face seen at the camera: where it came from (<c>camera:door#37</c>), its embedding and how good a sample it is (0..1).</summary>
public sealed record EnrollmentCandidate(string Source, float[] Embedding, double Quality);

/// <summary>What <c>enroll --camera</c> is asked to do: who, at which camera, for how long, and how many faces to keep.</summary>
public sealed record CameraEnrollmentRequest(string Camera, string Person, double Seconds, int MinFaceSize)
{
    public int MaxFaces { get; init; } = CameraEnrollment.DefaultMaxFaces;

    public int MinFaces { get; init; } = CameraEnrollment.MinFaces;
}

/// <summary>What the frames of one camera enrollment held: frames with no face, one face, several, and why one-face frames were not used.</summary>
public sealed class CameraTally
{
    private readonly Dictionary<int, int> _severalCounts = [];

    public int Frames { get; private set; }

    public int NoFace { get; private set; }

    public int OneFace { get; private set; }

    public int SeveralFaces { get; private set; }

    /// <summary>One-face frames whose face was under the camera's <c>MinFaceSize</c>.</summary>
    public int Small { get; private set; }

    /// <summary>One-face frames whose face was under <c>Recognition:MinSharpness</c>.</summary>
    public int Blurred { get; private set; }

    /// <summary>One-face frames whose face was seen from the side (see <see cref="CameraEnrollment.Frontality"/>).</summary>
    public int TurnedAway { get; private set; }

    /// <summary>One-face frames whose face became a candidate.</summary>
    public int Usable { get; private set; }

    /// <summary>The number of faces most often in view when there were several (0 when never).</summary>
    public int TypicalSeveral => _severalCounts.Count == 0 ? 0 : _severalCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;

    /// <summary>Counts a frame with <paramref name="faces"/> confident faces in it.</summary>
    public void CountFrame(int faces)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(faces);
        Frames++;
        if (faces == 0)
        {
            NoFace++;
        }
        else if (faces == 1)
        {
            OneFace++;
        }
        else
        {
            SeveralFaces++;
            _severalCounts[faces] = _severalCounts.GetValueOrDefault(faces) + 1;
        }
    }

    public void CountUsable() => Usable++;

    public void CountSmall() => Small++;

    public void CountBlurred() => Blurred++;

    public void CountTurnedAway() => TurnedAway++;
}

/// <summary>A camera enrollment's faces checked against the gallery: the faces kept, those left out, or why it is refused.</summary>
public sealed record GalleryCheck(IReadOnlyList<EnrolledFace> Kept, IReadOnlyList<SuspectFace> LeftOut, string? Refusal);

/// <summary>
/// The rules of enrolling one person at a camera, pure: which of the faces seen become gallery faces (the best ones, each
/// looking different from those already picked), when to refuse (nobody there, several people, too few usable faces,
/// faces that are someone else), and how frontal a face is.
/// </summary>
public static class CameraEnrollment
{
    /// <summary>
    /// A face whose cosine similarity to one already picked is above this is the same look again (consecutive frames of
    /// one pose score 0.97 to 0.99 with MobileFaceNet; another pose or expression of the same person 0.6 to 0.9), so it adds
    /// nothing to the gallery and is skipped.
    /// </summary>
    public const double MaxSimilarity = 0.95;

    /// <summary>Fewest different-looking faces worth enrolling: <see cref="MislabelCheck"/> needs three to compare a face with the rest.</summary>
    public const int MinFaces = 3;

    public const int DefaultMaxFaces = 10;

    /// <summary>Most faces one run may add (each face is a training sample of the SVM; a few varied ones are what helps).</summary>
    public const int MaxMaxFaces = 50;

    /// <summary>Below this <see cref="Frontality"/> the face is seen from the side (the nose outside the eyes): not used.</summary>
    public const double MinFrontality = 0.2;

    /// <summary>
    /// The best faces, each different from those before it: in descending quality (earlier first on ties), a face is taken
    /// unless its similarity to an already taken one is above <paramref name="maxSimilarity"/>, until
    /// <paramref name="maxFaces"/> are taken.
    /// </summary>
    public static IReadOnlyList<EnrollmentCandidate> Pick(IReadOnlyList<EnrollmentCandidate> candidates, int maxFaces, double maxSimilarity = MaxSimilarity)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFaces, 1);
        var picked = new List<EnrollmentCandidate>();
        foreach (var c in candidates.Select((c, i) => (c, i)).OrderByDescending(x => x.c.Quality).ThenBy(x => x.i).Select(x => x.c))
        {
            if (picked.Count >= maxFaces)
            {
                break;
            }

            if (picked.All(p => VectorMath.Dot(p.Embedding, c.Embedding) <= maxSimilarity))
            {
                picked.Add(c);
            }
        }

        return picked;
    }

    /// <summary>
    /// 0..1 from the five landmarks (eyes, nose, mouth corners): 1 with the nose midway between the eyes (facing the camera),
    /// 0 with the nose at or beyond one eye (a profile). Roll does not matter (the aligner turns it upright).
    /// </summary>
    public static double Frontality(ReadOnlySpan<OpenCvSharp.Point2f> landmarks)
    {
        if (landmarks.Length < 3)
        {
            return 0;
        }

        var (left, right, nose) = (landmarks[0], landmarks[1], landmarks[2]);
        var eyes = new OpenCvSharp.Point2d(right.X - left.X, right.Y - left.Y);
        var distance = Math.Sqrt((eyes.X * eyes.X) + (eyes.Y * eyes.Y));
        if (distance < 1e-3)
        {
            return 0;
        }

        // The nose's position along the eye line, from the eyes' midpoint, in eye distances (0 = centred, 0.5 = at an eye).
        var along = (((nose.X - left.X) * eyes.X) + ((nose.Y - left.Y) * eyes.Y)) / (distance * distance);
        return Math.Clamp(1 - (2 * Math.Abs(along - 0.5)), 0, 1);
    }

    /// <summary>Null when the faces may be enrolled; else why not, in words for the user (names the camera and the counts).</summary>
    public static string? Refusal(CameraEnrollmentRequest request, CameraTally tally, int picked)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tally);
        var seconds = request.Seconds.ToString("0.#", CultureInfo.InvariantCulture);
        if (tally.Frames == 0)
        {
            return $"camera '{request.Camera}' gave no frame in {seconds} s; {request.Person} is not enrolled.";
        }

        if (tally.OneFace + tally.SeveralFaces == 0)
        {
            return $"no face seen at camera '{request.Camera}' in {seconds} s ({tally.Frames} frames): {request.Person} must face the camera, " +
                $"close enough for a face of at least {request.MinFaceSize} px; {request.Person} is not enrolled.";
        }

        if (tally.SeveralFaces > tally.OneFace)
        {
            var share = 100.0 * tally.SeveralFaces / tally.Frames;
            return $"{tally.TypicalSeveral} faces in view in {share.ToString("0", CultureInfo.InvariantCulture)} % of frames: only the person to enroll " +
                $"may be in front of camera '{request.Camera}'; {request.Person} is not enrolled.";
        }

        if (picked < request.MinFaces)
        {
            return $"only {picked} usable, different-looking {(picked == 1 ? "face" : "faces")} of {request.Person} at camera '{request.Camera}' in {seconds} s " +
                $"(at least {request.MinFaces} needed): of {tally.OneFace} frames with one face, {tally.Small} too small (under {request.MinFaceSize} px), " +
                $"{tally.Blurred} blurred, {tally.TurnedAway} turned away; {tally.SeveralFaces} frames had several faces and {tally.NoFace} none. " +
                "Come closer, face the camera in good light and turn the head slowly; or enroll for longer (--seconds).";
        }

        return null;
    }

    /// <summary>
    /// The picked faces against the gallery, with <see cref="MislabelCheck"/> as <c>enroll DIR</c> uses it: each new face is
    /// compared with the rest of <paramref name="person"/>'s faces (the enrolled ones and the other new ones) and with
    /// everyone else. A minority that does not fit is left out; when half of the new faces or more do not fit, the face at
    /// the camera is not <paramref name="person"/> (or is somebody already enrolled) and the enrollment is refused.
    /// </summary>
    public static GalleryCheck CheckAgainst(Gallery gallery, string person, IReadOnlyList<EnrolledFace> faces, string camera, int minFaces = MinFaces)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentNullException.ThrowIfNull(faces);
        var existing = gallery.People.FirstOrDefault(p => p.Name == person);
        var people = gallery.People.Where(p => p.Name != person)
            .Append(new EnrolledPerson(person, [.. existing?.Faces ?? [], .. faces]))
            .ToArray();
        var fresh = faces.ToHashSet();
        var suspects = MislabelCheck.Find(people).Where(s => s.Person == person && fresh.Contains(s.Face)).ToArray();
        var kept = faces.Where(f => suspects.All(s => !ReferenceEquals(s.Face, f))).ToArray();
        if (suspects.Length * 2 >= faces.Count)
        {
            var closer = suspects.Where(s => s.CloserTo is not null).GroupBy(s => s.CloserTo!).OrderByDescending(g => g.Count()).FirstOrDefault();
            var why = closer is not null && closer.Count() * 2 >= faces.Count
                ? $"they look like {closer.Key}, who is already enrolled"
                : existing is not null
                    ? $"they do not look like the {existing.Faces.Count} faces {person} is enrolled with"
                    : "they do not look like one another";
            return new GalleryCheck([], suspects, $"{suspects.Length} of the {faces.Count} faces seen at camera '{camera}' do not fit {person}: {why} " +
                $"({suspects[0].Reason}). Is the right person in front of the camera? {person} is not enrolled; the gallery is unchanged.");
        }

        if (kept.Length < minFaces)
        {
            return new GalleryCheck(kept, suspects,
                $"only {kept.Length} of the {faces.Count} faces seen at camera '{camera}' fit {person} (at least {minFaces} needed); {person} is not enrolled.");
        }

        return new GalleryCheck(kept, suspects, null);
    }
}
