using System.CommandLine;

namespace FaceWatch.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch bench: not built yet.");
            return 2;
        });
        command.Subcommands.Add(BenchIdentifyCommand.Create());
        return command;
    }
}
