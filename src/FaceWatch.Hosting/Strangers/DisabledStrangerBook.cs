namespace FaceWatch.Hosting.Strangers;

/// <summary>The book when <c>Strangers:Enabled</c> is off: keeps nothing, writes nothing, knows nobody.</summary>
public sealed class DisabledStrangerBook : IStrangerBook
{
    public static readonly DisabledStrangerBook Instance = new();

    public bool Enabled => false;

    public IReadOnlyList<StrangerGroup> Groups() => [];

    public StrangerGroup? Find(string id) => null;

    public byte[]? ReadCrop(string id, int index) => null;

    public IReadOnlyList<float[]> Embeddings(string id) => [];

    public Task<bool> ForgetAsync(string id, CancellationToken cancellationToken) => Task.FromResult(false);
}
