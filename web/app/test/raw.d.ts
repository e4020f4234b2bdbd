// Vite's ?raw imports (a file's text) for the tests, without vite/client's
// browser globals.
declare module "*?raw" {
  const text: string;
  export default text;
}
