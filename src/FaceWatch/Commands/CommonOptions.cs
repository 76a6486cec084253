using System.CommandLine;

namespace FaceWatch.Commands;

/// <summary>Options shared by several verbs.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Config = new("--config", "-c")
    {
        Description = "JSON config file (layered over defaults, under FACEWATCH_* environment variables).",
        Recursive = true,
    };
}
