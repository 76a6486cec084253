namespace FaceWatch.Pipeline.Identification;

/// <summary>How many people and faces the gallery in use holds, for health views.</summary>
public sealed record GalleryStatus(int People, int Faces);

/// <summary>The gallery in use, as the health views see it (null: none loaded).</summary>
public interface IGalleryStatus
{
    GalleryStatus? Status { get; }
}
