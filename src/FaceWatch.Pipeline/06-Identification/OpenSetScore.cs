namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// The one number the open-set rule thresholds: the similarity to the nearest enrolled person plus
/// <c>marginWeight</c> times how far that person leads the second nearest. A face close to one person and clearly
/// closer to them than to anybody else scores higher than one equally close to two people. With one enrolled person
/// there is no second and the score is the similarity. The weight is chosen on data per embedding model
/// (<see cref="ScorePriorBuilder"/>, docs/identification.md).
/// </summary>
public static class OpenSetScore
{
    public static double Of(double nearest, double? second, double marginWeight) =>
        second is { } s ? nearest + (marginWeight * (nearest - s)) : nearest;
}
