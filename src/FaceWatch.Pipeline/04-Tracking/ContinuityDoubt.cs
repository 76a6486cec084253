namespace FaceWatch.Pipeline.Tracking;

/// <summary>
/// Why the face matched to a track in this frame may not be the face the track had before. Motion alone said "same
/// track"; a doubt makes the identity stage embed the face and compare it with the track's appearance before the track
/// may lend it its name.
/// </summary>
public enum ContinuityDoubt
{
    None,

    /// <summary>The track was not detected in the previous processed frame(s).</summary>
    Gap,

    /// <summary>The whole picture changed (a camera cut, see <see cref="ShotCutDetector"/>).</summary>
    ShotCut,

    /// <summary>The box size, position or landmark layout changed more than the motion model predicted.</summary>
    Jump,

    /// <summary>The track's box overlapped another track's and has just separated from it (people crossing).</summary>
    Crossing,

    /// <summary>The face in the box looks different from the previous frame's (see <see cref="FacePatchCheck"/>).</summary>
    Appearance,
}

/// <summary>Payload words for <see cref="ContinuityDoubt"/> (the <c>reason</c> of an event after a split).</summary>
public static class ContinuityReasons
{
    public static string Of(ContinuityDoubt doubt) => doubt switch
    {
        ContinuityDoubt.Gap => "gap",
        ContinuityDoubt.ShotCut => "shot-cut",
        ContinuityDoubt.Jump => "jump",
        ContinuityDoubt.Crossing => "crossing",
        ContinuityDoubt.Appearance => "appearance-change",
        _ => "none",
    };
}
