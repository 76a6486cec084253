using System.CommandLine;

namespace FaceWatch.Commands;

internal static class EmbedCommand
{
    public static Command Create()
    {
        var command = new Command("embed", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch embed: not built yet.");
            return 2;
        });
        return command;
    }
}
