namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// Who is enrolled in the gallery in use, for publishing per-person state. <see cref="Names"/> is null until the gallery
/// was loaded (or found not configured: then empty); <see cref="Changed"/> is raised after every load and hot reload.
/// </summary>
public interface IEnrolledPeople
{
    IReadOnlyList<string>? Names { get; }

    event Action? Changed;
}
